/**
 * Sending a message, the same way from the panel and the palette. The sidecar owns the rules: a
 * paused or failed task is resumed by `taskyard/tasks/send` itself (`resumed` in the result), so
 * the client never resumes first. It only asks to queue while the agent works, and queues
 * instead when the agent got busy between the snapshot it saw and the send (`agentBusy`).
 */

import type { Task, TasksSendParams, TasksSendResult } from "../protocol/generated";
import { displayKind } from "./presentation";
import { toRpcError } from "./errors";

export type SendRequest = (params: TasksSendParams) => Promise<TasksSendResult>;

export async function sendMessage(
  request: SendRequest,
  task: Pick<Task, "id" | "status" | "state">,
  content: string,
): Promise<TasksSendResult> {
  const queue = displayKind(task) === "working";
  try {
    return await request({ task: task.id, content, queue });
  } catch (e) {
    if (!queue && toRpcError(e).kind === "agentBusy") return await request({ task: task.id, content, queue: true });
    throw e;
  }
}
