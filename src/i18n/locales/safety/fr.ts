import type { SafetyTexts } from "./en-US.js";

/** The safety texts in fr (see en-US; a no-break space before « : ; ! ? », as in fr.ts). */
export const safetyFr: SafetyTexts = {
  blocked: "Ce prompt contient un mot ou une expression que ce serveur n'autorise pas dans les vidéos. Veuillez le reformuler ; rien n'a été facturé.",
  pictureFlagged: "Cette image ne peut pas être animée dans ce salon : selon la vérification des images, elle pourrait ne pas être tout public. Rien n'a été facturé.",
  checkUnavailable: "La vérification des images ne répond pas pour le moment, le bot ne peut donc pas lancer cette vidéo. Veuillez réessayer dans quelques minutes ; rien n'a été facturé.",
  report: {
    thanks: "Merci : les modérateurs du serveur ont bien reçu votre signalement.",
    already: "Vous avez déjà signalé cette vidéo ; les modérateurs ont bien reçu votre signalement.",
    noModlog: "Ce serveur n'a pas de journal de modération. Veuillez contacter directement les modérateurs du serveur.",
    failed: "Votre signalement n'a pas pu parvenir au journal de modération. Veuillez contacter directement les modérateurs du serveur.",
  },
  show: {
    title: "🛡️ **Sécurité**",
    modlog: "Journal de modération : {{value}}",
    modlogOff: "désactivé (Signaler invite les membres à contacter les modérateurs)",
    words: "Mots et expressions bloqués : {{count}} sur {{max}}",
    screeningOn: "Vérification des images : activée (contrôle NSFW de fal ; les images au-dessus de {{threshold}} sont refusées hors des salons soumis à une limite d'âge)",
    screeningOff: "Vérification des images : désactivée (l'opérateur du bot peut l'activer)",
  },
  words: {
    empty: "Ce serveur ne bloque encore aucun mot. Ajoutez-en avec /settings safety words:add entries:…",
    list: "Mots et expressions bloqués ({{count}} sur {{max}}) : {{entries}}",
    added: "Ajoutés : {{added}}. Le serveur bloque désormais {{count}} mots et expressions, sur {{max}} au maximum.",
    removed: "Retirés : {{removed}}. Le serveur bloque désormais {{count}} mots et expressions, sur {{max}} au maximum.",
    needEntries: "Veuillez indiquer les mots ou expressions dans `entries`, séparés par des virgules.",
    tooLong: "Chaque mot ou expression peut compter au maximum {{max}} caractères.",
    tooMany: "Un serveur peut bloquer au maximum {{max}} mots et expressions ; il reste de la place pour {{room}} de plus.",
  },
  modlog: {
    set: "Le journal de modération est désormais <#{{channelId}}> : une ligne par vidéo créée, par refus de sécurité et par signalement.",
    off: "Le journal de modération est désactivé. Signaler invite désormais les membres à contacter les modérateurs.",
    current: "Le journal de modération est <#{{channelId}}>.",
    none: "Il n'y a pas de journal de modération. Définissez-en un avec /settings modlog channel:#channel.",
    badChannel: "Veuillez choisir un salon textuel ou d'annonces de ce serveur.",
    cannotPost: "Le bot ne peut pas publier dans <#{{channelId}}> : il lui faut ces permissions dans ce salon : {{permissions}}. Rien n'a été modifié.",
    opened: "🛡️ Ce salon est désormais le journal de modération de ce bot (défini par <@{{userId}}>) : une ligne par vidéo créée, par refus de sécurité et par signalement.",
    delivered: "🎬 <@{{userId}}> a créé une vidéo dans <#{{channelId}}> ({{cost}}) : {{link}}",
    refused: "🚫 Refusé pour <@{{userId}}> dans <#{{channelId}}> : {{reason}}",
    reasonWords: "le prompt contient un mot ou une expression bloqués",
    reasonPicture: "la vérification des images a attribué à l'image un score de {{score}} (au-dessus de {{threshold}}) hors d'un salon soumis à une limite d'âge",
    reported: "🚩 <@{{reporterId}}> a signalé une vidéo de <@{{userId}}> : {{link}}",
  },
};
