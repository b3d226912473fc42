import type { SafetyTexts } from "./en-US.js";

/** The safety texts in es-ES (see en-US). */
export const safetyEsES: SafetyTexts = {
  blocked: "Este prompt usa una palabra o expresión que este servidor no permite en los vídeos. Reformúlalo, por favor; no se ha cobrado nada.",
  pictureFlagged: "Esta imagen no se puede animar en este canal: según la revisión de imágenes, puede no ser apta para todos los públicos. No se ha cobrado nada.",
  checkUnavailable: "La revisión de imágenes no responde ahora mismo, así que el bot no puede iniciar este vídeo. Vuelve a intentarlo dentro de unos minutos; no se ha cobrado nada.",
  report: {
    thanks: "Gracias: los moderadores del servidor ya tienen tu denuncia.",
    already: "Ya has denunciado este vídeo; los moderadores ya tienen tu denuncia.",
    noModlog: "Este servidor no tiene configurado un registro de moderación. Ponte en contacto directamente con los moderadores del servidor.",
    failed: "Tu denuncia no ha podido llegar al registro de moderación. Ponte en contacto directamente con los moderadores del servidor.",
  },
  show: {
    title: "🛡️ **Seguridad**",
    modlog: "Registro de moderación: {{value}}",
    modlogOff: "desactivado (Denunciar pide a los miembros que contacten con los moderadores)",
    words: "Palabras y expresiones bloqueadas: {{count}} de {{max}}",
    screeningOn: "Revisión de imágenes: activada (el filtro NSFW de fal; las imágenes por encima de {{threshold}} se rechazan fuera de los canales con restricción de edad)",
    screeningOff: "Revisión de imágenes: desactivada (el operador del bot puede activarla)",
  },
  words: {
    empty: "Este servidor aún no bloquea ninguna palabra. Añade algunas con /settings safety words:add entries:…",
    list: "Palabras y expresiones bloqueadas ({{count}} de {{max}}): {{entries}}",
    added: "Añadidas: {{added}}. El servidor bloquea ahora {{count}} de un máximo de {{max}} palabras y expresiones.",
    removed: "Quitadas: {{removed}}. El servidor bloquea ahora {{count}} de un máximo de {{max}} palabras y expresiones.",
    needEntries: "Indica las palabras o expresiones en `entries`, separadas por comas.",
    tooLong: "Cada palabra o expresión puede tener como máximo {{max}} caracteres.",
    tooMany: "Un servidor puede bloquear como máximo {{max}} palabras y expresiones; queda sitio para {{room}} más.",
  },
  modlog: {
    set: "El registro de moderación es ahora <#{{channelId}}>: una línea por cada vídeo hecho, cada rechazo por seguridad y cada denuncia.",
    off: "El registro de moderación está desactivado. Ahora Denunciar pide a los miembros que contacten con los moderadores.",
    current: "El registro de moderación es <#{{channelId}}>.",
    none: "No hay registro de moderación. Configura uno con /settings modlog channel:#channel.",
    badChannel: "Elige un canal de texto o de anuncios de este servidor.",
    cannotPost: "El bot no puede publicar en <#{{channelId}}>: ahí necesita estos permisos: {{permissions}}. No se ha cambiado nada.",
    opened: "🛡️ Este canal es ahora el registro de moderación de este bot (configurado por <@{{userId}}>): una línea por cada vídeo hecho, cada rechazo por seguridad y cada denuncia.",
    delivered: "🎬 <@{{userId}}> ha hecho un vídeo en <#{{channelId}}> ({{cost}}): {{link}}",
    refused: "🚫 Rechazado para <@{{userId}}> en <#{{channelId}}>: {{reason}}",
    reasonWords: "el prompt usa una palabra o expresión bloqueada",
    reasonPicture: "la revisión de imágenes ha dado a la imagen una puntuación de {{score}} (por encima de {{threshold}}) fuera de un canal con restricción de edad",
    reported: "🚩 <@{{reporterId}}> ha denunciado un vídeo de <@{{userId}}>: {{link}}",
  },
};
