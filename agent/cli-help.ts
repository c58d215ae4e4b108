// Usage texts of the agent's commands (`agent --help`, `agent <command> --help`). Printing them
// never needs a config file and never touches a modem. Pure.
import { AGENT_VERSION } from './version.js';

export const EXIT_CODES = `Exit codes / коды выхода:
  0   done: sent, all checks passed, config valid, service stopped cleanly
  1   failed: not sent, a check failed, the modem is not usable, the service could not start
  2   usage error: unknown command or option, missing --to/--text, a number or text that cannot be sent
  3   uncertain: the modem took the SMS but gave no answer; it may or may not have gone out
      (do not resend blindly)
  78  configuration error: a bad value or an unknown key (named with its path), unreadable file
`;

const CONFIG = `Config: --config FILE (or GSMJOBS_AGENT_CONFIG=FILE), plus environment overrides
GSMJOBS_AGENT_<SECTION>__<KEY> (e.g. GSMJOBS_AGENT_MODEM__PORT), *_FILE for secrets.
`;

export const USAGE = `gsmjobs agent ${AGENT_VERSION}: the site's SMS gateway / SMS-шлюз площадки

usage: agent <command> [options]        agent <command> --help for details
  run                     run the site gateway (MQTT jobs -> SMS); \`agent --config FILE\` alone also runs
  send --to N --text T    send one SMS through the service's engine (stop the service first)
  doctor                  check port, modem, SIM/PIN, SMSC, network and signal; say what to fix
  ports                   list serial ports (stable /dev/serial/by-id names first)
  config check FILE       validate FILE and print the effective config (secrets masked)
  --version               print the version, revision and Node.js version
  --help                  this text

${CONFIG}
${EXIT_CODES}`;

export const COMMAND_HELP: Record<string, string> = {
  run: `usage: agent run [--config FILE]
Run the site gateway: take jobs from the hub over MQTT, send each SMS exactly once through the
modem, report every step, serve /metrics and /healthz on http.port.
Служба площадки: задания из MQTT, каждое SMS отправляется ровно один раз.

Signals: SIGTERM/SIGINT stop cleanly; SIGHUP reloads log_level from the same file (other keys need
a restart and are named in the log); a bad file is logged and the running config kept.
${CONFIG}
${EXIT_CODES}`,
  send: `usage: agent send --to NUMBER --text TEXT [--wait SECONDS] [--config FILE | --port PATH] [--verbose]
Send one SMS through the same engine as the service: journaled in <data_dir>/send-outbox.jsonl,
the same retries with backoff for temporary +CMS errors, the same concatenation-reference
counter, and "uncertain" (exit 3) when the modem took it without an answer. SMS waiting on the
SIM are kept for the service (never deleted unseen). The service must be stopped: it holds the
port. A state that cannot heal (no port, PIN missing or refused, PUK, no SIM) ends it at once.
Отправить одно SMS тем же механизмом, что и служба (службу сначала остановите).

  --to NUMBER      destination, international (+7916...) or national
  --text TEXT      message text (long texts go as several parts, up to send.max_parts)
  --wait SECONDS   ask for a status report and wait this long for it
  --port PATH      the modem's port (works without a config file)
  --baud RATE      baud rate with --port
  --verbose        the log (JSON lines) on stderr
${CONFIG}
${EXIT_CODES}`,
  doctor: `usage: agent doctor [--config FILE | --port PATH [--baud RATE]] [--verbose]
Check the port, the modem, the SIM and PIN, the SMS centre, network registration and signal, and
say for each failure what to do (English and Russian). Never spends a PIN try the service would
not. The service must be stopped (gsmjobs-agent-doctor does that for you).
Проверка порта, модема, SIM-карты и PIN, SMS-центра, сети и сигнала: что исправить.
${CONFIG}
${EXIT_CODES}`,
  ports: `usage: agent ports
List serial ports, stable /dev/serial/by-id names first. Needs no config and no modem.
Список последовательных портов.
`,
  config: `usage: agent config check FILE
Validate FILE as the service would (environment overrides included): every bad value and every
unknown key is named with its path (and a "did you mean"); print the effective config with the
PIN, the MQTT password and any password in mqtt.url masked as ***.
Проверить файл конфигурации и показать действующие настройки (секреты скрыты).

Exit codes: 0 valid, 78 invalid, 2 usage error.
`,
};
