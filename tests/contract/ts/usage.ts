/**
 * Compile-time checks of the generated TS tables; tests/contract compiles this next to
 * generated.ts, so a wrong phantom type or a non-exhaustive handler map fails the build.
 */
import {
  errors,
  notifications,
  requests,
  type ErrorKind,
  type NotificationHandlers,
  type ParamsOf,
  type ResultOf,
  type Task,
  type TaskIdentity,
  type TasksCreateParams,
  type TasksListResult,
} from "./generated";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

export const createParams: Equal<ParamsOf<typeof requests.tasksCreate>, TasksCreateParams> = true;
export const createResult: Equal<ResultOf<typeof requests.tasksCreate>, Task> = true;
export const listResult: Equal<ResultOf<typeof requests.tasksList>, TasksListResult> = true;
export const deleted: Equal<ParamsOf<typeof notifications.tasksDidDelete>, TaskIdentity> = true;
export const method: string = requests.tasksCreate.method;

export const handlers: NotificationHandlers = {
  tasksDidChange: (params) => void params.task.status,
  tasksDidDelete: (params) => void params.id,
  tasksMessageDidChange: (params) => void params.message.content,
  tasksLogDidAppend: (params) => void params.lines.length,
  templatesDidChange: (params) => void params.templates.length,
};

// @ts-expect-error a handler map without every notification does not compile
export const partial: NotificationHandlers = { tasksDidChange: () => undefined };

export const busy: ErrorKind = "agentBusy";
export const busyCode: 1007 = errors.agentBusy.code;
