import type { SafetyTexts } from "./en-US.js";

/** The safety texts in de (see en-US). */
export const safetyDe: SafetyTexts = {
  blocked: "Dieser Prompt enthält ein Wort oder einen Ausdruck, den dieser Server in Videos nicht erlaubt. Bitte formuliere ihn um; es wurde nichts berechnet.",
  pictureFlagged: "Dieses Bild kann in diesem Kanal nicht animiert werden: Laut Bildprüfung ist es möglicherweise nicht jugendfrei. Es wurde nichts berechnet.",
  checkUnavailable: "Die Bildprüfung antwortet gerade nicht, daher kann der Bot dieses Video nicht starten. Bitte versuch es in ein paar Minuten noch einmal; es wurde nichts berechnet.",
  report: {
    thanks: "Danke: Die Moderatoren des Servers haben deine Meldung erhalten.",
    already: "Du hast dieses Video bereits gemeldet; die Moderatoren haben deine Meldung erhalten.",
    noModlog: "Auf diesem Server ist kein Moderationsprotokoll eingerichtet. Bitte wende dich direkt an die Moderatoren des Servers.",
    failed: "Deine Meldung konnte das Moderationsprotokoll nicht erreichen. Bitte wende dich direkt an die Moderatoren des Servers.",
  },
  show: {
    title: "🛡️ **Sicherheit**",
    modlog: "Moderationsprotokoll: {{value}}",
    modlogOff: "aus (Melden bittet Mitglieder, sich an die Moderatoren zu wenden)",
    words: "Gesperrte Wörter und Ausdrücke: {{count}} von {{max}}",
    screeningOn: "Bildprüfung: an (NSFW-Prüfung von fal; Bilder über {{threshold}} werden außerhalb altersbeschränkter Kanäle abgelehnt)",
    screeningOff: "Bildprüfung: aus (der Betreiber des Bots kann sie einschalten)",
  },
  words: {
    empty: "Dieser Server sperrt noch keine Wörter. Füge welche hinzu mit /settings safety words:add entries:…",
    list: "Gesperrte Wörter und Ausdrücke ({{count}} von {{max}}): {{entries}}",
    added: "{{added}} hinzugefügt. Der Server sperrt jetzt {{count}} von höchstens {{max}} Wörtern und Ausdrücken.",
    removed: "{{removed}} entfernt. Der Server sperrt jetzt {{count}} von höchstens {{max}} Wörtern und Ausdrücken.",
    needEntries: "Bitte gib die Wörter oder Ausdrücke in `entries` an, durch Kommas getrennt.",
    tooLong: "Jedes Wort und jeder Ausdruck darf höchstens {{max}} Zeichen lang sein.",
    tooMany: "Ein Server kann höchstens {{max}} Wörter und Ausdrücke sperren; es ist noch Platz für {{room}} weitere.",
  },
  modlog: {
    set: "Das Moderationsprotokoll ist jetzt <#{{channelId}}>: eine Zeile pro erstelltem Video, pro Ablehnung aus Sicherheitsgründen und pro Meldung.",
    off: "Das Moderationsprotokoll ist aus. Melden bittet Mitglieder jetzt, sich an die Moderatoren zu wenden.",
    current: "Das Moderationsprotokoll ist <#{{channelId}}>.",
    none: "Es gibt kein Moderationsprotokoll. Richte eines ein mit /settings modlog channel:#channel.",
    badChannel: "Bitte wähle einen Text- oder Ankündigungskanal dieses Servers.",
    cannotPost: "Der Bot kann in <#{{channelId}}> nicht posten: Er braucht dort {{permissions}}. Es wurde nichts geändert.",
    opened: "🛡️ Dieser Kanal ist jetzt das Moderationsprotokoll dieses Bots (festgelegt von <@{{userId}}>): eine Zeile pro erstelltem Video, pro Ablehnung aus Sicherheitsgründen und pro Meldung.",
    delivered: "🎬 <@{{userId}}> hat in <#{{channelId}}> ein Video erstellt ({{cost}}): {{link}}",
    refused: "🚫 Abgelehnt für <@{{userId}}> in <#{{channelId}}>: {{reason}}",
    reasonWords: "der Prompt enthält ein gesperrtes Wort oder einen gesperrten Ausdruck",
    reasonPicture: "die Bildprüfung hat das Bild mit {{score}} bewertet (über {{threshold}}), außerhalb eines altersbeschränkten Kanals",
    reported: "🚩 <@{{reporterId}}> hat ein Video von <@{{userId}}> gemeldet: {{link}}",
  },
};
