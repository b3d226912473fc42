// Server-rendered HTML for the operator's console: every value from outside (server names,
// prompts, ids) goes through `esc`, and pages carry no script at all (the CSP forbids it).

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text safe in HTML content and in quoted attributes. */
export function esc(value: unknown): string {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Markup already escaped (built by these helpers). */
export interface Html {
  readonly html: string;
}

/** A template whose interpolations are escaped unless they are Html (or arrays of it). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1]!;
  });
  return { html: out };
}

function render(v: unknown): string {
  if (Array.isArray(v)) return v.map(render).join("");
  if (v && typeof v === "object" && "html" in v) return (v as Html).html;
  if (v === null || v === undefined || v === false) return "";
  return esc(v);
}

/** Raw markup from a trusted producer (the chart). */
export const raw = (markup: string): Html => ({ html: markup });

export const PAGES = [
  ["/console", "Overview"],
  ["/console/jobs", "Jobs"],
  ["/console/servers", "Servers"],
  ["/console/audit", "Audit log"],
] as const;

/** The page shell: navigation, who is signed in, and the logout form (a POST with the CSRF token). */
export function page(title: string, current: string, who: { name: string } | null, csrf: string | null, body: Html): string {
  const nav = who
    ? html`<nav><ul>${PAGES.map(([href, label]) => html`<li><a href="${href}"${href === current ? raw(' aria-current="page"') : ""}>${label}</a></li>`)}</ul>
<form method="post" action="/console/logout" class="logout"><input type="hidden" name="_csrf" value="${csrf ?? ""}"><span>${who.name}</span> <button type="submit">Log out</button></form></nav>`
    : html``;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · Seedance bot console</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/console/style.css"></head>
<body><header><h1>Seedance bot console</h1>${nav.html}</header><main><h2>${esc(title)}</h2>${body.html}</main></body></html>`;
}

/** The console's stylesheet (served as a file: the CSP allows no inline style). */
export const STYLE = `
:root { color-scheme: light dark; --line: #8884; --warn: #b3261e; --ok: #1b6e3a; font-family: system-ui, sans-serif; }
body { margin: 0 auto; max-width: 72rem; padding: 0 1rem 2rem; line-height: 1.45; }
header { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: .5rem; border-bottom: 1px solid var(--line); }
header h1 { font-size: 1.1rem; margin: .8rem 0; }
nav { display: flex; flex-wrap: wrap; align-items: center; gap: 1rem; }
nav ul { display: flex; flex-wrap: wrap; gap: .8rem; list-style: none; margin: 0; padding: 0; }
nav a[aria-current] { font-weight: 700; }
.logout { display: flex; align-items: center; gap: .4rem; margin: 0; }
h2 { font-size: 1.3rem; }
.table { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num, th.num { text-align: right; white-space: nowrap; }
.prompt { max-width: 28rem; overflow-wrap: anywhere; }
.over { color: var(--warn); font-weight: 700; }
.paused { color: var(--warn); }
.running { color: var(--ok); }
form.inline { display: flex; flex-wrap: wrap; gap: .4rem; align-items: center; margin: 0; }
input[type=text] { width: 7rem; }
.filters { display: flex; flex-wrap: wrap; gap: .6rem; align-items: end; margin-bottom: 1rem; }
.pager { display: flex; gap: 1rem; margin-top: 1rem; }
.notice { padding: .6rem .8rem; border: 1px solid var(--line); border-radius: .4rem; }
figure { margin: 1rem 0; }
@media (max-width: 40rem) { th, td { padding: .3rem; font-size: .9rem; } }
`;
