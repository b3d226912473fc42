import { randomUUID } from "node:crypto";
import { MessageFlags, type ButtonInteraction } from "discord.js";
import type { MessageBody } from "../discord/messages.js";
import { refuse } from "../discord/replies.js";
import { t, usdUp } from "../i18n/index.js";
import type { Services } from "../app/services.js";
import { launchOrder, messageReply, TOKEN_LIFETIME_MS, type Reply, type VideoInteraction, type VideoOrder } from "./intake.js";

const PREFIX = "confirm";

interface Pending {
  userId: string;
  asked: VideoInteraction;
  /** Runs the job once Generate is pressed (the press is its acknowledgement). */
  go: (press: ButtonInteraction) => Promise<void>;
  timer: NodeJS.Timeout;
}

/**
 * "This video will cost up to $X — Generate / Cancel", asked of the caller alone before
 * anything is downloaded, held or sent. The question lives in this process (a restart
 * forgets it, and a late answer is told so); silence ends it (two minutes by default).
 */
export class Confirmations {
  private readonly pending = new Map<string, Pending>();

  /** `waitMs`: how long a question waits for an answer (CONFIRM_SECONDS, two minutes by default). */
  constructor(
    private readonly s: () => Services,
    private readonly waitMs: number,
  ) {}

  /** A `/video` or Animate order above the server's threshold. */
  askOrder(interaction: VideoInteraction, order: VideoOrder, costMicros: number): Promise<void> {
    return this.ask(interaction, order.userId, costMicros, (press) => {
      const reply = order.replyTo ? generateReply(press, messageReply(press, this.s(), order.channelId, order.replyTo)) : buttonReply(press);
      return launchOrder(order, reply, this.s());
    });
  }

  /** Any job above the threshold: `go` runs it when the caller presses Generate. */
  async ask(interaction: VideoInteraction, userId: string, costMicros: number, go: Pending["go"]): Promise<void> {
    const id = randomUUID();
    const locale = interaction.locale;
    const timer = setTimeout(() => void this.expire(id), this.waitMs);
    timer.unref();
    this.pending.set(id, { userId, asked: interaction, go, timer });
    await interaction.reply({
      content: t(locale, "confirm.ask", { cost: usdUp(costMicros) }),
      flags: MessageFlags.Ephemeral,
      allowedMentions: { parse: [] },
      components: [
        {
          type: 1,
          components: [
            { type: 2, style: 3, label: t(locale, "buttons.generate"), custom_id: `${PREFIX}:${id}:go` },
            { type: 2, style: 2, label: t(locale, "buttons.cancel"), custom_id: `${PREFIX}:${id}:no` },
          ],
        },
      ],
    });
  }

  /** The caller's answer (only they see the question). */
  async answer(interaction: ButtonInteraction): Promise<void> {
    const [, id, choice] = interaction.customId.split(":");
    const pending = id ? this.pending.get(id) : undefined;
    if (!pending || pending.userId !== interaction.user.id) {
      return void (await interaction.update({ content: t(interaction.locale, "confirm.gone"), components: [] }));
    }
    this.pending.delete(id!);
    clearTimeout(pending.timer);
    if (choice !== "go") return void (await interaction.update({ content: t(interaction.locale, "confirm.cancelled"), components: [] }));
    await pending.go(interaction);
  }

  private async expire(id: string): Promise<void> {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    await pending.asked.editReply({ content: t(pending.asked.locale, "confirm.expired"), components: [] }).catch(() => undefined);
  }

  /** Forgets every question (shutdown). */
  clear(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }
}

/**
 * After Generate: the question becomes "Starting…" (the acknowledgement), and the public
 * progress message is a follow-up of this button's interaction, edited through its webhook.
 */
function buttonReply(interaction: ButtonInteraction): Reply {
  const webhook = { applicationId: interaction.applicationId, token: interaction.token, expiresAt: interaction.createdTimestamp + TOKEN_LIFETIME_MS, messageId: undefined as string | undefined };
  return {
    interaction,
    ack: () => startingAfter(interaction),
    presenter: {
      refuse: (text) => refuse(interaction, text),
      refusesPrivately: true,
      show: async (body: MessageBody) => {
        const message = await interaction.followUp({ flags: body.flags, components: body.components as never, allowedMentions: body.allowed_mentions });
        webhook.messageId = message.id;
        return message.id;
      },
      webhook,
    },
  };
}

/** After Generate on an Animate question: the question becomes "Starting…", the progress replies to the source. */
function generateReply(interaction: ButtonInteraction, reply: Reply): Reply {
  return {
    ...reply,
    ack: () => startingAfter(interaction),
  };
}

/** Generate pressed: the question becomes "Starting your video…" (the press's acknowledgement). */
export async function startingAfter(press: ButtonInteraction): Promise<void> {
  await press.update({ content: t(press.locale, "confirm.starting"), components: [] });
}
