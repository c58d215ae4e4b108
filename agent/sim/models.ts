// Modem models the simulator imitates, with the quirks of each family kept modest: identity
// strings, power-up URCs, vendor URC spam, whether LTE registration (+CEREG) exists.
export type ModelName = 'SIM800' | 'SIM7600' | 'EC25' | 'E3372';

export interface ModelSpec {
  manufacturer: string;
  model: string;
  revision: string;
  /** Lines printed after power-up or AT+CFUN=1,1. */
  bootUrcs: string[];
  /** Vendor spam inserted between commands and answers when `spam` is on. */
  spam: string[];
  cereg: boolean;
  /** Revision answers with a +CGMR: prefix (SIM7600) or bare. */
  revisionPrefix: boolean;
  /** How the model tells the PIN tries left: Quectel AT+CPINR, SIMCom AT+SPIC, Huawei AT^CPIN. */
  pinTries: 'CPINR' | 'SPIC' | '^CPIN';
}

export const MODELS: Record<ModelName, ModelSpec> = {
  SIM800: {
    manufacturer: 'SIMCOM_Ltd',
    model: 'SIMCOM_SIM800L',
    revision: 'Revision:1418B04SIM800L24',
    bootUrcs: ['RDY', '+CFUN: 1', '+CPIN: READY', 'Call Ready', 'SMS Ready'],
    spam: ['UNDER-VOLTAGE WARNNING', '+CREG: 1'],
    cereg: false,
    revisionPrefix: false,
    pinTries: 'SPIC',
  },
  SIM7600: {
    manufacturer: 'SIMCOM INCORPORATED',
    model: 'SIMCOM_SIM7600E-H',
    revision: 'LE20B04SIM7600M22',
    bootUrcs: ['RDY', '+CPIN: READY', 'SMS DONE', 'PB DONE'],
    spam: ['+CPSI: LTE,Online,250-01,0x1E3C,27447553,290,EUTRAN-BAND3,1300,5,5,-103,-1047,-759,14'],
    cereg: true,
    revisionPrefix: true,
    pinTries: 'SPIC',
  },
  EC25: {
    manufacturer: 'Quectel',
    model: 'EC25',
    revision: 'EC25EFAR06A06M4G',
    bootUrcs: ['RDY', '+CFUN: 1', '+CPIN: READY', '+QUSIM: 1', '+QIND: SMS DONE', '+QIND: PB DONE'],
    spam: ['+QIND: "csq",20,99', '+QIND: "act","LTE"'],
    cereg: true,
    revisionPrefix: false,
    pinTries: 'CPINR',
  },
  E3372: {
    manufacturer: 'huawei',
    model: 'E3372',
    revision: '22.315.01.00.00',
    bootUrcs: ['^SIMST: 1', '^SRVST: 2'],
    spam: ['^RSSI: 14', '^HCSQ: "LTE",44,33,130,25', '^MODE: 7,17', '^BOOT: 21585718,0,0,0,77'],
    cereg: true,
    revisionPrefix: false,
    pinTries: '^CPIN',
  },
};
