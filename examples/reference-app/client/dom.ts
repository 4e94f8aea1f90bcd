// Small DOM helpers for the page modules. Text only goes in through textContent: never HTML.

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element as T;
}

/** Writes an outcome where a form announces it; `error` marks it for styles and tests. */
export function say(target: HTMLElement, text: string, kind: 'ok' | 'error' | 'info' = 'info'): void {
  target.textContent = text;
  target.dataset.kind = kind;
}

export function show(element: HTMLElement, visible = true): void {
  element.hidden = !visible;
}

/** The trimmed value of a named control of a form. */
export function valueOf(form: HTMLFormElement, name: string): string {
  const control = form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | null;
  return control ? control.value.trim() : '';
}

/** Runs an async submit handler with the form's buttons disabled, so a double click sends one request. */
export function onSubmit(form: HTMLFormElement, handler: () => Promise<void>): void {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const buttons = [...form.querySelectorAll('button')];
    for (const button of buttons) button.disabled = true;
    void handler().finally(() => {
      for (const button of buttons) button.disabled = false;
    });
  });
}

export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  attributes: Record<string, string> = {},
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}
