import { useEffect, type ReactNode } from "react";

/** Esc closes the innermost open overlay (the last one registered). */
const stack: (() => void)[] = [];
function onKey(e: KeyboardEvent) {
  if (e.key === "Escape" && stack.length) {
    e.preventDefault();
    stack[stack.length - 1]?.();
  }
}

export function useEscape(onClose: () => void, active = true) {
  useEffect(() => {
    if (!active) return;
    if (stack.length === 0) window.addEventListener("keydown", onKey);
    stack.push(onClose);
    return () => {
      const k = stack.lastIndexOf(onClose);
      if (k >= 0) stack.splice(k, 1);
      if (stack.length === 0) window.removeEventListener("keydown", onKey);
    };
  }, [onClose, active]);
}

export function Modal({
  title,
  onClose,
  children,
  footer,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
}) {
  useEscape(onClose);
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="modal" role="dialog" aria-modal="true" aria-label={title}>
        <header className="modal-header">
          <h2>{title}</h2>
          <button type="button" className="icon-btn" aria-label="Close" onClick={onClose}>
            ×
          </button>
        </header>
        <div className="modal-body">{children}</div>
        {footer && <footer className="modal-footer">{footer}</footer>}
      </div>
    </div>
  );
}

export function Drawer({ title, onClose, children }: { title: ReactNode; onClose: () => void; children: ReactNode }) {
  useEscape(onClose);
  return (
    <aside className="drawer" role="complementary" aria-label="Sample panel">
      <header className="drawer-header">
        <div className="drawer-title">{title}</div>
        <button type="button" className="icon-btn" aria-label="Close panel" onClick={onClose}>
          ×
        </button>
      </header>
      <div className="drawer-body">{children}</div>
    </aside>
  );
}

/** A dialog form's last row: the error (as text) and Cancel / submit, the submit disabled while busy. */
export function FormFooter({
  error,
  busy,
  disabled = false,
  label,
  busyLabel,
  onCancel,
}: {
  error: string | null;
  busy: boolean;
  disabled?: boolean;
  label: string;
  busyLabel: string;
  onCancel: () => void;
}) {
  return (
    <>
      {error && (
        <div className="form-error span-2" role="alert">
          {error}
        </div>
      )}
      <div className="span-2 form-actions">
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary" disabled={busy || disabled}>
          {busy ? busyLabel : label}
        </button>
      </div>
    </>
  );
}
