// The form that asks for the API token when the server answers 401 (API_TOKEN set). A
// modal <dialog>: the browser moves focus into it, keeps Tab inside, and Escape closes it,
// so it works from the keyboard and screen readers announce it as a dialog, which
// window.prompt does not do well and cannot say why a token was refused.
import { h } from './ui';

let dialog: HTMLDialogElement | null = null;

function build(): HTMLDialogElement {
  const input = h('input', {
    id: 'token-input',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': 'token-help token-error',
  });
  const form = h(
    'form',
    { method: 'dialog' },
    h('h2', { id: 'token-title', text: 'API token needed' }),
    h(
      'p',
      { id: 'token-help' },
      'This server was started with API_TOKEN, so the API answers only requests that carry it. ',
      'The token is kept for this browser tab only and sent as ',
      h('code', { text: 'Authorization: Bearer …' }),
      '.',
    ),
    h('p', { id: 'token-error', class: 'error', role: 'alert', hidden: true }),
    h('label', { for: 'token-input', text: 'API token' }),
    input,
    h(
      'div',
      { class: 'dialog-buttons' },
      h('button', { type: 'submit', value: 'use', text: 'Use token' }),
      h('button', { type: 'button', value: 'cancel', 'data-action': 'cancel', text: 'Cancel' }),
    ),
  );
  const d = h('dialog', { id: 'token-dialog', class: 'token-dialog', 'aria-labelledby': 'token-title' }, form);
  (form.querySelector('[data-action=cancel]') as HTMLButtonElement).addEventListener('click', () => d.close('cancel'));
  document.body.append(d);
  return d;
}

// Resolves with the token entered, or null when the user closes the form without one.
export function askForApiToken(rejected: boolean, detail: string): Promise<string | null> {
  dialog ??= build();
  const d = dialog;
  const input = d.querySelector('#token-input') as HTMLInputElement;
  const error = d.querySelector('#token-error') as HTMLElement;
  // Says plainly that the token was wrong, with the server's words (never the token).
  error.hidden = !rejected;
  error.textContent = rejected ? `The server did not accept that token (${detail}). Check it and try again.` : '';
  input.value = '';
  d.returnValue = '';
  return new Promise((resolve) => {
    d.addEventListener(
      'close',
      () => {
        const token = input.value.trim();
        input.value = ''; // the token is not left in the page
        resolve(d.returnValue === 'use' && token ? token : null);
      },
      { once: true },
    );
    d.showModal();
    input.focus();
  });
}
