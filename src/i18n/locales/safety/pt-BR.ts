import type { SafetyTexts } from "./en-US.js";

/** The safety texts in pt-BR (see en-US). */
export const safetyPtBR: SafetyTexts = {
  blocked: "Este prompt usa uma palavra ou expressão que este servidor não permite em vídeos. Reformule-o, por favor; nada foi cobrado.",
  pictureFlagged: "Esta imagem não pode ser animada neste canal: a verificação de imagens indicou que ela pode não ser adequada para todos os públicos. Nada foi cobrado.",
  checkUnavailable: "A verificação de imagens não está respondendo agora, então o bot não pode iniciar este vídeo. Tente novamente em alguns minutos; nada foi cobrado.",
  report: {
    thanks: "Obrigado: os moderadores do servidor receberam sua denúncia.",
    already: "Você já denunciou este vídeo; os moderadores já receberam a denúncia.",
    noModlog: "Este servidor não tem um registro de moderação configurado. Entre em contato diretamente com os moderadores do servidor.",
    failed: "Sua denúncia não conseguiu chegar ao registro de moderação. Entre em contato diretamente com os moderadores do servidor.",
  },
  show: {
    title: "🛡️ **Segurança**",
    modlog: "Registro de moderação: {{value}}",
    modlogOff: "desativado (Denunciar pede aos membros que falem com os moderadores)",
    words: "Palavras e expressões bloqueadas: {{count}} de {{max}}",
    screeningOn: "Verificação de imagens: ativada (filtro NSFW do fal; imagens acima de {{threshold}} são recusadas fora de canais com restrição de idade)",
    screeningOff: "Verificação de imagens: desativada (o operador do bot pode ativá-la)",
  },
  words: {
    empty: "Este servidor ainda não bloqueia nenhuma palavra. Adicione algumas com /settings safety words:add entries:…",
    list: "Palavras e expressões bloqueadas ({{count}} de {{max}}): {{entries}}",
    added: "Adicionadas: {{added}}. O servidor agora bloqueia {{count}} de no máximo {{max}} palavras e expressões.",
    removed: "Removidas: {{removed}}. O servidor agora bloqueia {{count}} de no máximo {{max}} palavras e expressões.",
    needEntries: "Informe as palavras ou expressões em `entries`, separadas por vírgulas.",
    tooLong: "Cada palavra ou expressão pode ter no máximo {{max}} caracteres.",
    tooMany: "Um servidor pode bloquear no máximo {{max}} palavras e expressões; há espaço para mais {{room}}.",
  },
  modlog: {
    set: "O registro de moderação agora é <#{{channelId}}>: uma linha por vídeo feito, por recusa de segurança e por denúncia.",
    off: "O registro de moderação está desativado. Agora Denunciar pede aos membros que falem com os moderadores.",
    current: "O registro de moderação é <#{{channelId}}>.",
    none: "Não há registro de moderação. Configure um com /settings modlog channel:#channel.",
    badChannel: "Escolha um canal de texto ou de anúncios deste servidor.",
    cannotPost: "O bot não consegue postar em <#{{channelId}}>: faltam estas permissões lá: {{permissions}}. Nada foi alterado.",
    opened: "🛡️ Este canal agora é o registro de moderação deste bot (definido por <@{{userId}}>): uma linha por vídeo feito, por recusa de segurança e por denúncia.",
    delivered: "🎬 <@{{userId}}> fez um vídeo em <#{{channelId}}> ({{cost}}): {{link}}",
    refused: "🚫 Recusado para <@{{userId}}> em <#{{channelId}}>: {{reason}}",
    reasonWords: "o prompt usa uma palavra ou expressão bloqueada",
    reasonPicture: "a verificação de imagens deu nota {{score}} à imagem (acima de {{threshold}}) fora de um canal com restrição de idade",
    reported: "🚩 <@{{reporterId}}> denunciou um vídeo de <@{{userId}}>: {{link}}",
  },
};
