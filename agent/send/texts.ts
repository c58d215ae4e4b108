// What `agent send` tells a technician, in English and Russian (one line each). Pure.
import { detailRu, hintRu } from '../hints-ru.js';
import type { ModemSetupError } from '../modem/setup.js';

export interface Said {
  en: string;
  ru: string;
}

export const both = (s: Said): string => `${s.en}\n${s.ru}\n`;

export const texts = {
  serviceRunning: (pid: number): Said => ({
    en: `the agent service is running (pid ${pid}) and holds the modem: stop it first (sudo systemctl stop gsmjobs-agent), then send`,
    ru: `служба агента работает (pid ${pid}) и занимает модем: сначала остановите её (sudo systemctl stop gsmjobs-agent), затем отправляйте`,
  }),
  badMessage: (reason: string): Said => ({ en: `cannot send: ${reason}`, ru: `отправить нельзя: ${reason}` }),
  dataDir: (dir: string, reason: string): Said => ({
    en: `cannot use the data directory ${dir}: ${reason} (run as the service user: sudo -u gsmjobs ...)`,
    ru: `нет доступа к каталогу данных ${dir}: ${reason} (запустите от пользователя службы: sudo -u gsmjobs ...)`,
  }),
  blocked: (e: ModemSetupError): Said => ({
    en: `not sent: ${e.message}. What to do: ${e.hint}`,
    ru: `не отправлено: ${detailRu(e.message) ?? e.message}. Что делать: ${hintRu(e.hint) ?? e.hint}`,
  }),
  notReady: (why: string, s: number): Said => ({
    en: `not sent: the modem did not become ready within ${s} s (${why}); run \`agent doctor\``,
    ru: `не отправлено: модем не был готов за ${s} с (${why}); выполните \`agent doctor\``,
  }),
  retrying: (reason: string, tryNo: number, max: number, inS: number): Said => ({
    en: `temporary failure: ${reason}; try ${tryNo} of ${max}, next in ${inS} s`,
    ru: `временная ошибка: ${reason}; попытка ${tryNo} из ${max}, следующая через ${inS} с`,
  }),
  sent: (parts: number, to: string, mrs: number[]): Said => ({
    en: `sent ${parts} part(s) to ${to}, TP-MR ${mrs.join(', ')}`,
    ru: `отправлено частей: ${parts}, номер ${to}, TP-MR ${mrs.join(', ')}`,
  }),
  uncertain: (reason: string): Said => ({
    en: `uncertain: ${reason}. Do not resend blindly: the recipient may get it twice`,
    ru: `неизвестно, отправлено ли: ${reason}. Не отправляйте повторно вслепую: получатель может получить сообщение дважды`,
  }),
  failed: (reason: string): Said => ({ en: `not sent: ${reason}`, ru: `не отправлено: ${reason}` }),
  report: (outcome: string, status: number): Said => ({
    en: `status report: ${outcome} (TP-ST 0x${status.toString(16)})`,
    ru: `отчёт о доставке: ${outcome === 'delivered' ? 'доставлено' : outcome === 'not_delivered' ? 'не доставлено' : outcome} (TP-ST 0x${status.toString(16)})`,
  }),
  noReport: (s: number): Said => ({ en: `no status report within ${s} s yet`, ru: `отчёта о доставке за ${s} с пока нет` }),
  inboundKept: (from: string): Said => ({
    en: `an SMS from ${from} was waiting on the SIM: kept in the data directory; the service passes it on at its next start`,
    ru: `на SIM-карте ждало SMS от ${from}: сохранено в каталоге данных; служба передаст его при следующем запуске`,
  }),
};
