// Forms: labelled fields (the label names the control, the hint describes it,
// required is marked), checkboxes, a form's values by name, and bilingual texts.
import type {
  ComponentChildren,
  InputHTMLAttributes,
  SelectHTMLAttributes,
  TextareaHTMLAttributes,
} from "preact";
import { useState } from "preact/hooks";
import { t, type Lang } from "./i18n";

/** The value of the control an input or change event came from. */
export const inputValue = (event: Event) => (event.target as HTMLInputElement).value;

/** A labelled form row: the label names the control by id. */
export function Field(props: {
  id: string;
  label: string;
  hint?: string;
  required?: boolean;
  children: ComponentChildren;
}) {
  return (
    <div class="field">
      <label for={props.id}>
        {props.label}
        {props.required && <span class="req"> ({t("required")})</span>}
      </label>
      {props.children}
      {props.hint && (
        <small id={`${props.id}-hint`} class="hint">
          {props.hint}
        </small>
      )}
    </div>
  );
}

/** A control's id, its value and how to change it: what ``useForm``'s ``bind`` gives. */
export type Bound = { id: string; value: string; set: (value: string) => void };

type Labelled = Bound & { label: string; hint?: string; required?: boolean };
type Own<Attributes> = Omit<Attributes, keyof Labelled | "children">;

/** The attributes every labelled control takes from its ``Field``: required, and the hint that describes it. */
function described({ id, hint, required }: Labelled) {
  return { id, required, "aria-describedby": hint ? `${id}-hint` : undefined };
}

/** A labelled text input (any ``type``); ``children`` come after it, inside the field. */
export function InputField(
  props: Labelled & Own<InputHTMLAttributes<HTMLInputElement>> & { children?: ComponentChildren },
) {
  const { id, label, hint, required, value, set, children, ...input } = props;
  return (
    <Field id={id} label={label} hint={hint} required={required}>
      <input {...described(props)} value={value} onInput={(e) => set(inputValue(e))} {...input} />
      {children}
    </Field>
  );
}

/** A labelled text area. */
export function TextAreaField(props: Labelled & Own<TextareaHTMLAttributes<HTMLTextAreaElement>>) {
  const { id, label, hint, required, value, set, ...area } = props;
  return (
    <Field id={id} label={label} hint={hint} required={required}>
      <textarea {...described(props)} value={value} onInput={(e) => set(inputValue(e))} {...area} />
    </Field>
  );
}

/** A labelled choice among ``options`` (each its value and its words). */
export function SelectField(
  props: Labelled & Own<SelectHTMLAttributes<HTMLSelectElement>> & { options: readonly (readonly [string, string])[] },
) {
  const { id, label, hint, required, value, set, options, ...select } = props;
  return (
    <Field id={id} label={label} hint={hint} required={required}>
      <select {...described(props)} value={value} onChange={(e) => set(inputValue(e))} {...select}>
        {options.map(([code, text]) => (
          <option key={code} value={code}>
            {text}
          </option>
        ))}
      </select>
    </Field>
  );
}

/** The options of a select among ``codes``, each in words by ``label``. */
export function choices(codes: readonly string[], label: (code: string) => string) {
  return codes.map((code) => [code, label(code)] as const);
}

/** A checkbox inside its label. */
export function Checkbox(props: { id: string; checked: boolean; set: (checked: boolean) => void; children: ComponentChildren }) {
  return (
    <label class="choice">
      <input
        type="checkbox"
        id={props.id}
        checked={props.checked}
        onChange={(e) => props.set((e.target as HTMLInputElement).checked)}
      />
      {props.children}
    </label>
  );
}

/** A form's values by name; ``bind(name)`` wires the control with id ``prefix + name`` to one. */
export function useForm<F extends Record<string, string | boolean>>(initial: F, prefix = "") {
  const [form, setForm] = useState<F>(initial);
  const set = <K extends keyof F>(name: K, value: F[K]) => setForm((old) => ({ ...old, [name]: value }));
  const bind = (name: keyof F & string) => ({
    id: `${prefix}${name}`,
    name,
    value: String(form[name] ?? ""),
    set: (value: string) => set(name, value as F[typeof name]),
  });
  return { form, set, bind };
}

const LANGUAGE_NAMES: Record<Lang, string> = { ja: "日本語", en: "English" };

/** ``label`` for the text in one language: "Title (English)". */
export function inLanguage(label: string, language: Lang): string {
  return `${label} (${LANGUAGE_NAMES[language]})`;
}

/** The language choices of a select, each named in its own language. */
export const LANGUAGE_OPTIONS = (["ja", "en"] as const).map((language) => [language, LANGUAGE_NAMES[language]] as const);

/** The two required fields of a text given in both languages, Japanese first; ``rows`` makes them text areas. */
export function LocalizedFields(props: { label: string; bind: (language: Lang) => Bound; rows?: number; maxLength?: number }) {
  const { label, bind, rows, maxLength } = props;
  return (
    <>
      {(["ja", "en"] as const).map((language) =>
        rows ? (
          <TextAreaField key={language} label={inLanguage(label, language)} required rows={rows} {...bind(language)} />
        ) : (
          <InputField key={language} label={inLanguage(label, language)} required maxLength={maxLength} {...bind(language)} />
        ),
      )}
    </>
  );
}
