// Every schema of the hub's API in one place, for the web form (hub/web/) and automation:
// the same zod schemas validate the API and the form.
export * from './job.js';
export * from './entities.js';
export * from './execution.js';
export { autoName, conditionText, metricLabel, type Lang } from '../core/names.js';
export { stepText, MAX_PARTS, templateValues } from '../core/action.js';
export { loadCatalogs, renderCommand, type Catalog, type CatalogCommand } from '../catalog/catalog.js';
