// Interaction callback and interaction-webhook routes (no bot auth; the token is the credential).
import { ApiError, Errors, FormErrors } from "./http-util.js";
import { CREATE_FLAGS, MessageFlags } from "./limits.js";
import { announce, buildMessage, editMessage, isEphemeral, type AttachmentContext } from "./messages.js";
import { checkModal, withComponentIds } from "./modals.js";
import type { Ctx, Reply, RouteDef } from "./router.js";
import type { InteractionState, State } from "./state.js";
import type { FakeMessage } from "./types.js";

type Json = Record<string, any>;

/**
 * Callback types per interaction type (receiving-and-responding, "Interaction Callback Type"):
 * 6 and 7 "only valid for component-based interactions" (a modal submit counts when the modal was
 * opened from a component, whose message it then updates); 9 MODAL "not available for MODAL_SUBMIT".
 */
const ALLOWED_CALLBACKS: Record<number, number[]> = { 2: [4, 5, 9], 3: [4, 5, 6, 7, 9], 5: [4, 5, 6, 7] };

function invalidCallbackType(type: number, i: InteractionState, why = ""): ApiError {
  return new ApiError(400, {
    code: 50035, message: "Invalid Form Body",
    errors: { type: { _errors: [{ code: "INTERACTION_RESPONSE_TYPE_INVALID", message: `Callback type ${type} is not valid for interaction type ${i.type}${why}` }] } },
  });
}

function attCtx(ctx: Ctx, i: InteractionState, ephemeral: boolean, base: string[] = []): AttachmentContext {
  return { state: ctx.state, channelId: i.channelId, sizeLimit: i.attachmentSizeLimit, requestBytes: ctx.bodyBytes, ephemeral, base };
}

/** Message type of a response: 20 CHAT_INPUT_COMMAND, 23 CONTEXT_MENU_COMMAND, else 0 DEFAULT. */
function responseFields(state: State, i: InteractionState): Partial<FakeMessage> {
  const w = state.world;
  const type = i.type === 2 ? (i.commandType === 3 ? 23 : 20) : 0;
  return { type, webhook_id: w.applicationId, application_id: w.applicationId, interactionId: i.id };
}

function callback(ctx: Ctx): Reply {
  const { state } = ctx;
  const i = state.interactions.get(ctx.params.interaction_id!);
  if (!i || i.token !== ctx.params.interaction_token) throw Errors.unknownInteraction();
  if (i.ackType !== undefined) throw Errors.alreadyAcknowledged();
  if (Date.now() - i.dispatchedAt > state.opts.ackDeadlineMs || state.tokenExpired(i)) throw Errors.unknownInteraction();
  const body = ctx.json as Json;
  const type = body.type as number;
  if (!ALLOWED_CALLBACKS[i.type]?.includes(type)) throw invalidCallbackType(type, i);
  if (i.type === 5 && (type === 6 || type === 7) && !i.componentMessageId) {
    throw invalidCallbackType(type, i, " (the modal was not opened from a message component)");
  }
  const data = (body.data ?? {}) as Json;
  if (type === 9) {
    const errs = new FormErrors();
    checkModal(data, errs);
    errs.throwIfAny();
  }
  const bot = state.world.botUser;
  let message: FakeMessage | undefined;
  if (type === 4 || type === 5) {
    const ephemeral = ((data.flags ?? 0) & MessageFlags.EPHEMERAL) !== 0;
    const ctxA = attCtx(ctx, i, ephemeral, ["data"]);
    message =
      type === 4
        ? buildMessage({ ctx: ctxA, body: data, files: ctx.files, author: bot, allowedFlags: CREATE_FLAGS | MessageFlags.EPHEMERAL, extra: responseFields(state, i) })
        : buildMessage({
            ctx: ctxA, body: {}, files: [], author: bot,
            extra: { ...responseFields(state, i), flags: MessageFlags.LOADING | ((data.flags ?? 0) & (MessageFlags.EPHEMERAL | MessageFlags.SUPPRESS_NOTIFICATIONS)) },
          });
    state.addMessage(message);
    i.originalMessageId = message.id;
    announce(state, "create", message);
  } else if (type === 6 || type === 7) {
    const m = state.liveMessage(i.componentMessageId ?? "");
    if (!m) throw Errors.unknownMessage();
    if (type === 7) {
      editMessage(attCtx(ctx, i, isEphemeral(m), ["data"]), m, data, ctx.files);
      announce(state, "update", m);
    }
    i.originalMessageId = m.id;
    message = type === 7 ? m : undefined;
  } else if (type === 9) {
    i.modal = withComponentIds(data);
  }
  i.ackType = type;
  i.ackedAt = Date.now();
  // an acknowledged submit closes the modal on the member's screen (a failed one leaves it open to retry)
  if (i.modalOf) {
    const opener = state.interactions.get(i.modalOf);
    if (opener) opener.modalClosed = true;
  }
  const made = message ? { made: { message, kind: type === 7 ? ("edit" as const) : ("create" as const) } } : {};
  if (!/^(true|1)$/i.test(ctx.query.with_response ?? "")) return { status: 204, ...made };
  return {
    ...made,
    status: 200,
    body: {
      interaction: {
        id: i.id, type: i.type,
        ...(message ? { response_message_id: message.id, response_message_loading: type === 5, response_message_ephemeral: isEphemeral(message) } : {}),
      },
      resource: { type, ...(message ? { message: state.messageJson(message) } : {}) },
    },
  };
}

/** Resolves the interaction behind /webhooks/{app}/{token}; 401 50027 once the token expired. */
function hook(ctx: Ctx): InteractionState {
  const { state } = ctx;
  if (ctx.params.webhook_id !== state.world.applicationId) throw Errors.unknownWebhook();
  const i = state.interactionsByToken.get(ctx.params.webhook_token ?? "");
  if (!i || state.tokenExpired(i)) throw Errors.invalidWebhookToken();
  return i;
}

function hookMessage(ctx: Ctx, i: InteractionState): FakeMessage {
  const id = ctx.params.message_id === undefined ? i.originalMessageId : ctx.params.message_id;
  const owned = id !== undefined && (id === i.originalMessageId || i.followUpIds.includes(id));
  const m = owned ? ctx.state.liveMessage(id) : undefined;
  if (!m) throw Errors.unknownMessage();
  return m;
}

function execute(ctx: Ctx): Reply {
  const { state } = ctx;
  const i = hook(ctx);
  if (i.ackType === undefined || i.ackType === 9) throw Errors.unknownWebhook();
  const body = (ctx.json ?? {}) as Json;
  const wait = /^(true|1)$/i.test(ctx.query.wait ?? "");
  const original = i.originalMessageId ? state.liveMessage(i.originalMessageId) : undefined;
  let m: FakeMessage;
  let kind: "create" | "edit" = "create";
  if (i.ackType === 5 && original && original.flags & MessageFlags.LOADING) {
    // Discord (deprecated behaviour): the first follow-up after a deferral replaces the "thinking" message.
    m = editMessage(attCtx(ctx, i, isEphemeral(original)), original, body, ctx.files);
    kind = "edit";
    announce(state, "update", m);
  } else {
    const ephemeral = ((body.flags ?? 0) & MessageFlags.EPHEMERAL) !== 0;
    m = buildMessage({
      ctx: attCtx(ctx, i, ephemeral), body, files: ctx.files, author: state.world.botUser,
      allowedFlags: CREATE_FLAGS | MessageFlags.EPHEMERAL, extra: responseFields(state, i),
    });
    state.addMessage(m);
    i.followUpIds.push(m.id);
    announce(state, "create", m);
  }
  const made = { message: m, kind };
  return wait ? { status: 200, body: state.messageJson(m), made } : { status: 204, made };
}

function getHookMessage(ctx: Ctx): Reply {
  const i = hook(ctx);
  return { status: 200, body: ctx.state.messageJson(hookMessage(ctx, i)) };
}

function patchHookMessage(ctx: Ctx): Reply {
  const i = hook(ctx);
  const m = hookMessage(ctx, i);
  editMessage(attCtx(ctx, i, isEphemeral(m)), m, (ctx.json ?? {}) as Json, ctx.files);
  announce(ctx.state, "update", m);
  return { status: 200, body: ctx.state.messageJson(m), made: { message: m, kind: "edit" } };
}

function deleteHookMessage(ctx: Ctx): Reply {
  const i = hook(ctx);
  const m = hookMessage(ctx, i);
  m.deleted = true;
  announce(ctx.state, "delete", m);
  return { status: 204 };
}

export function interactionRoutes(): RouteDef[] {
  const base = "/webhooks/{webhook_id}/{webhook_token}";
  const routes: RouteDef[] = [
    { method: "POST", template: "/interactions/{interaction_id}/{interaction_token}/callback", auth: false, unlimited: true, handler: callback },
    { method: "POST", template: base, auth: false, handler: execute },
    {
      method: "GET", template: base, auth: false,
      handler: (ctx) => {
        hook(ctx);
        return { status: 200, body: { type: 3, id: ctx.state.world.applicationId, name: "FakeBot", avatar: null, channel_id: null, guild_id: null, application_id: ctx.state.world.applicationId } };
      },
    },
  ];
  for (const template of [`${base}/messages/@original`, `${base}/messages/{message_id}`]) {
    routes.push(
      { method: "GET", template, auth: false, handler: getHookMessage },
      { method: "PATCH", template, auth: false, limited: true, handler: patchHookMessage },
      { method: "DELETE", template, auth: false, handler: deleteHookMessage },
    );
  }
  return routes;
}
