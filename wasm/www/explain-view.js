// "Paste a log": a pasted VPN log (OpenConnect -vvv, oncp's log, hex
// dumps) explained in the page by oncp-core's log reader (explainLog of
// the wasm package, on the main thread: a log is small). Renders the
// verdicts, the decoded tree (fields with their notes) and the problems
// with the log itself; nothing leaves the browser.
import init, { explainLog } from '../pkg/web/oncp_wasm.js';

const $ = (id) => document.getElementById(id);
const DIR = { ClientToServer: 'C→S', ServerToClient: 'S→C' };
let ready = null;

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function verdictCard(v) {
  const card = el('section', `verdict ${v.severity}`);
  card.dataset.id = v.id;
  const head = el('h3', null, v.title);
  if (v.line) head.append(el('span', 'muted', ` line ${v.line}`));
  card.append(el('span', 'sev', v.severity), head, el('p', null, v.detail));
  const todo = el('p', 'advice');
  todo.append(el('b', null, 'What to do: '), v.advice);
  card.append(todo);
  return card;
}

function itemNode(it) {
  const node = el('details', 'item');
  node.open = true;
  const sum = el('summary');
  sum.append(el('span', 'ln', `${it.line}`), el('span', `dir ${it.direction ?? ''}`, DIR[it.direction] ?? ''), el('span', 'txt', it.summary));
  node.append(sum);
  if (it.fields?.length) {
    const dl = el('dl');
    for (const f of it.fields) {
      const dt = el('dt', null, f.name);
      const dd = el('dd', null, f.value);
      if (f.note) dd.append(el('div', 'note', f.note));
      dl.append(dt, dd);
    }
    node.append(dl);
  }
  for (const n of it.notes ?? []) node.append(el('div', 'warn', n));
  for (const c of it.children ?? []) node.append(itemNode(c));
  return node;
}

/** Explains `text` and renders the result into the dialog; returns the explanation. */
export async function explainInto(text, showSecrets) {
  ready ??= init();
  await ready;
  const e = explainLog(text, showSecrets);
  const out = $('explain-result');
  out.replaceChildren();
  const formats = e.formats.length ? e.formats.join(', ') : 'no log format recognised';
  out.append(el('p', 'muted', `${e.lines} lines: ${formats}`));
  const verdicts = el('div');
  verdicts.id = 'explain-verdicts';
  if (e.verdicts.length) for (const v of e.verdicts) verdicts.append(verdictCard(v));
  else verdicts.append(el('p', 'verdict none', e.items.length
    ? 'No problem found in what this log shows.'
    : 'Nothing in this text is a VPN log oncp can read.'));
  out.append(verdicts);
  if (e.items.length) {
    const tree = el('div');
    tree.id = 'explain-tree';
    tree.append(el('h2', null, 'Decoded'));
    for (const it of e.items) tree.append(itemNode(it));
    out.append(tree);
  }
  if (e.damage.length) {
    const dmg = el('div');
    dmg.id = 'explain-damage';
    dmg.append(el('h2', null, 'Problems with the log itself'));
    const ul = el('ul');
    for (const d of e.damage) ul.append(el('li', null, `line ${d.line}: ${d.text}`));
    dmg.append(ul);
    out.append(dmg);
  }
  out.dataset.state = 'done';
  return e;
}

/** Wires the "Paste a log" button and dialog. */
export function setupExplain() {
  const dialog = $('explain-dialog');
  let timer = 0;
  const run = () => {
    clearTimeout(timer);
    $('explain-result').dataset.state = 'busy';
    explainInto($('log-input').value, $('show-secrets').checked)
      .catch((err) => { $('explain-result').textContent = `Failed: ${err.message ?? err}`; });
  };
  $('paste-log-button').addEventListener('click', () => { dialog.showModal(); $('log-input').focus(); });
  $('explain-close').addEventListener('click', () => dialog.close());
  $('explain-button').addEventListener('click', run);
  $('show-secrets').addEventListener('change', run);
  $('log-input').addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(run, 200); });
  $('log-file').addEventListener('change', async (ev) => {
    const f = ev.target.files[0];
    if (!f) return;
    $('log-input').value = await f.text();
    ev.target.value = '';
    run();
  });
}
