// ?_api on any /openidm URL (GET, any signed-in user, as IDM's API explorer): the OpenAPI
// description, whole at /openidm/?_api, cut to the resource at /openidm/<resource>?_api. It
// describes the API, not data, so it needs a sign-in but no role.
import { Router } from 'express';
import { notFound } from '../crest/errors';
import { principalOf } from './authenticate';
import { resourceDescription } from './openapi';

export function apiDescriptionRouter(): Router {
  const r = Router();
  r.use((req, res, next) => {
    if (req.method !== 'GET' || !Object.hasOwn(req.query as object, '_api')) return next();
    principalOf(res);
    const doc = resourceDescription(req.path);
    if (!doc) throw notFound(`No API description for '${req.path.slice(0, 200)}'`);
    res.json(doc);
  });
  return r;
}
