// Russian versions of the "what to do" hints that `doctor` and the modem status give a
// technician (user-facing texts are in Russian and English). Keyed by the English text, so a
// hint without a translation still shows in English.
const RU: Record<string, string> = {
  'Add the agent user to the "dialout" group.': 'Добавьте пользователя агента в группу "dialout".',
  'Another program may hold the port: the agent service (stop it before `doctor` or `send`) or ModemManager (`systemctl disable --now ModemManager`).': 'Порт может занимать другая программа: служба агента (остановите её перед `doctor` или `send`) или ModemManager (`systemctl disable --now ModemManager`).',
  'Check modem.pin. After three wrong PINs the SIM needs its PUK: unlock it in a phone.': 'Проверьте modem.pin. После трёх неверных PIN SIM-карте нужен PUK: разблокируйте её в телефоне.',
  'Check that the modem is plugged in and that modem.port names it (prefer /dev/serial/by-id/...); run `agent ports`.': 'Проверьте, что модем подключён и modem.port указывает на него (лучше /dev/serial/by-id/...); выполните `agent ports`.',
  'Check the SIM card.': 'Проверьте SIM-карту.',
  'Check the SIM card; try it in a phone.': 'Проверьте SIM-карту; попробуйте её в телефоне.',
  'Check the antenna and coverage, and that the SIM has service (try it in a phone).': 'Проверьте антенну и покрытие, и что у SIM-карты есть услуга связи (попробуйте в телефоне).',
  'Check the antenna, coverage and that the SIM has service; registration can take a minute after power-up.': 'Проверьте антенну, покрытие и услугу связи SIM-карты; регистрация после включения может занять минуту.',
  'Check the port and power.': 'Проверьте порт и питание.',
  'Check the port path and baud rate in the config, the cable, and the modem power supply (SIM800 needs 2 A peaks).': 'Проверьте путь к порту и скорость в конфигурации, кабель и питание модема (SIM800 нужны пики 2 А).',
  'Connect the antenna; move it near a window.': 'Подключите антенну; перенесите её ближе к окну.',
  'Insert the SIM card (power the modem off first) and check it sits in the holder correctly.': 'Вставьте SIM-карту (сначала выключите модем) и проверьте, что она правильно стоит в держателе.',
  'No serial port found: plug the modem in (USB) or enable the UART, then run `agent ports`.': 'Последовательный порт не найден: подключите модем (USB) или включите UART, затем выполните `agent ports`.',
  'Put the PIN in modem.pin (or GSMJOBS_AGENT_MODEM__PIN_FILE), or disable the PIN in a phone.': 'Укажите PIN в modem.pin (или GSMJOBS_AGENT_MODEM__PIN_FILE) либо отключите PIN в телефоне.',
  "Fix modem.pin (or the PIN file), then restart the agent; do not restart before: each wrong PIN spends one of the SIM's tries.": 'Исправьте modem.pin (или файл с PIN), затем перезапустите агента; не перезапускайте раньше: каждый неверный PIN тратит одну попытку SIM-карты.',
  'Only one PIN try is left: the agent will not spend it. Check the PIN in a phone, then put the right one in modem.pin.': 'Осталась одна попытка ввода PIN: агент её не тратит. Проверьте PIN в телефоне и укажите верный в modem.pin.',
  'Set modem.smsc.': 'Укажите modem.smsc.',
  'The SIM may be blocked or lack service: call the operator or try the SIM in a phone.': 'SIM-карта может быть заблокирована или без услуги: позвоните оператору или попробуйте её в телефоне.',
  'The modem stopped answering.': 'Модем перестал отвечать.',
  'This modem cannot send SMS in PDU mode; a Huawei E3372 must be switched from HiLink to modem (stick) mode.': 'Модем не отправляет SMS в режиме PDU; Huawei E3372 нужно переключить из HiLink в режим модема (stick).',
  'Unlock the SIM with its PUK in a phone, then restart the agent.': 'Разблокируйте SIM-карту PUK-кодом в телефоне, затем перезапустите агента.',
  'Use an external antenna or move it; below -105 dBm messages get lost.': 'Используйте внешнюю антенну или перенесите её; ниже -105 дБм сообщения теряются.',
  "Set modem.smsc in the config to your operator's SMSC number (e.g. +79168999100 for MTS Moscow).": 'Укажите в modem.smsc номер SMS-центра оператора (например, +79168999100 для МТС Москва).',
};

export function hintRu(en: string): string | undefined {
  if (RU[en]) return RU[en];
  if (en.startsWith('Set modem.port to one of: ')) return `Укажите в modem.port один из портов: ${en.slice('Set modem.port to one of: '.length)}`;
  if (en.startsWith('Pass --port with one of: ')) return `Укажите в --port один из портов: ${en.slice('Pass --port with one of: '.length)}`;
  return undefined;
}

/** Russian for the status messages a technician reads (doctor detail, /healthz, status). */
export function detailRu(en: string): string | undefined {
  const m = /^the SIM refused the configured PIN; (\S+|unknown number of) tries left; fix the PIN, do not restart/.exec(en);
  if (m) return `SIM-карта отклонила указанный PIN; осталось попыток: ${m[1] === 'unknown number of' ? 'неизвестно' : m[1]}; исправьте PIN, не перезапускайте`;
  const l = /^only (\d+) PIN try left/.exec(en);
  if (l) return `осталась ${l[1]} попытка ввода PIN; агент не тратит последнюю`;
  if (en.startsWith('the SIM asks for a PIN and none is configured')) return 'SIM-карта запрашивает PIN, а он не указан';
  if (en.startsWith('the SIM is locked and needs its PUK')) return 'SIM-карта заблокирована, нужен PUK';
  if (en.startsWith('no SIM card')) return 'нет SIM-карты';
  if (/does not exist|cannot open the serial port/.test(en)) return 'последовательный порт недоступен';
  return undefined;
}
