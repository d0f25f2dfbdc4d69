// The step handlers by action, for the worker host (src/queue/worker-host.ts).
import type { StepHandlers } from '../src/queue/step-handler.ts';
import { create } from './create.ts';
import { guardedDelete } from './guarded-delete.ts';
import { resume } from './resume.ts';
import { savepoint } from './savepoint.ts';
import { savepointSuspend } from './savepoint-suspend.ts';
import { suspend } from './suspend.ts';
import { upgrade } from './upgrade.ts';

export const stepHandlers: StepHandlers = {
  create,
  savepoint,
  'savepoint-suspend': savepointSuspend,
  suspend,
  upgrade,
  resume,
  'guarded-delete': guardedDelete,
};
