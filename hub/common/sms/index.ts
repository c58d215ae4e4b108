export * from './alphabet.js';
export * from './segments.js';
