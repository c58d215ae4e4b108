export * from './fields.js';
export * from './septets.js';
export * from './userdata.js';
export * from './submit.js';
export * from './deliver.js';
export * from './reassembly.js';
