import { randomUUID } from "node:crypto";
import { MessageFlags, type ButtonInteraction, type ChatInputCommandInteraction, type ModalSubmitInteraction } from "discord.js";

/** What a price question answers: a command, or a form (Animate, Remix). */
type VideoInteraction = ChatInputCommandInteraction | ModalSubmitInteraction;
import { t, usdDown, usdUp } from "../i18n/index.js";

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
  constructor(private readonly waitMs: number) {}

  /**
   * Any job above the threshold: `go` runs it when the caller presses Generate. `short`: the
   * budget and credits do not cover it now, so the question says so and offers the packs.
   */
  async ask(interaction: VideoInteraction, userId: string, costMicros: number, go: Pending["go"], short?: { leftMicros: number; buttons: unknown }): Promise<void> {
    const id = randomUUID();
    const locale = interaction.locale;
    const timer = setTimeout(() => void this.expire(id), this.waitMs);
    timer.unref();
    this.pending.set(id, { userId, asked: interaction, go, timer });
    const ask = t(locale, "confirm.ask", { cost: usdUp(costMicros) });
    await interaction.reply({
      content: short ? `${ask}\n${t(locale, "credits.confirmShort", { left: usdDown(short.leftMicros) })}` : ask,
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
        ...(short ? [short.buttons as never] : []),
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

/** Generate pressed: the question becomes "Starting your video…" (the press's acknowledgement). */
export async function startingAfter(press: ButtonInteraction): Promise<void> {
  await press.update({ content: t(press.locale, "confirm.starting"), components: [] });
}
