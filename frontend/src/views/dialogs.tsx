import { useState, type FormEvent } from "react";
import { errorMessage, type Version } from "../api/client";
import { useImportImdb, useUploadDataset, useUploadImdb } from "../api/datasets";
import { useCreateVersion, useTrainVersion } from "../api/versions";
import { FormFooter, Modal } from "../components/Overlay";

/** Hyperparameter fields the Train dialog offers (the API validates them; its 422 message is shown). */
const HP_FIELDS = [
  { key: "embedding_dim", label: "Embedding dim", step: 1, def: 128 },
  { key: "num_filters", label: "Filters per kernel", step: 1, def: 128 },
  { key: "dense_units", label: "Dense units", step: 1, def: 64 },
  { key: "dropout", label: "Dropout", step: 0.05, def: 0.5 },
  { key: "batch_size", label: "Batch size", step: 1, def: 64 },
  { key: "learning_rate", label: "Learning rate", step: 0.0001, def: 0.001 },
] as const;

export function validateTrainForm(epochs: string, hp: Record<string, string>, minEpochs: number): string | null {
  const e = Number(epochs);
  if (!Number.isInteger(e) || e < 1) return "epochs must be a whole number ≥ 1";
  if (e <= minEpochs) return `this version already has ${minEpochs} epochs; ask for more than that`;
  for (const f of HP_FIELDS) {
    const v = hp[f.key];
    if (v === undefined || v === "") continue;
    if (!Number.isFinite(Number(v))) return `${f.label} must be a number`;
  }
  return null;
}

export function TrainDialog({
  projectId,
  version,
  onClose,
  onStarted,
}: {
  projectId: number;
  /** Continue this version, or create a new one when null. */
  version: Version | null;
  onClose: () => void;
  onStarted: (versionId: number) => void;
}) {
  const create = useCreateVersion(projectId);
  const train = useTrainVersion(projectId);
  const [epochs, setEpochs] = useState(String((version?.epochs_done ?? 0) + 1));
  const [seed, setSeed] = useState("0");
  const [kernels, setKernels] = useState("3,4,5");
  const [hp, setHp] = useState<Record<string, string>>(
    Object.fromEntries(HP_FIELDS.map((f) => [f.key, String(f.def)])),
  );
  const [localError, setLocalError] = useState<string | null>(null);
  const busy = create.isPending || train.isPending;
  const serverError = create.error ?? train.error;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const problem = validateTrainForm(epochs, hp, version?.epochs_done ?? 0);
    setLocalError(problem);
    if (problem) return;
    create.reset();
    train.reset();
    try {
      let target = version;
      if (target === null) {
        const hyperparameters: Record<string, unknown> = Object.fromEntries(
          Object.entries(hp)
            .filter(([, v]) => v !== "")
            .map(([k, v]) => [k, Number(v)]),
        );
        hyperparameters.kernel_sizes = kernels
          .split(",")
          .map((k) => Number(k.trim()))
          .filter((k) => k !== 0 && !Number.isNaN(k));
        target = await create.mutateAsync({ architecture: "cnn", hyperparameters, seed: Number(seed) });
      }
      await train.mutateAsync({ versionId: target.id, epochs: Number(epochs) });
      onStarted(target.id);
      onClose();
    } catch {
      /* shown below from the mutation's error */
    }
  };

  return (
    <Modal title={version ? `Train ${version.name}` : "Train a new version"} onClose={onClose}>
      <form onSubmit={(e) => void submit(e)} className="form-grid" aria-label="Train">
        <label className="field">
          <span>Epochs (total)</span>
          <input name="epochs" value={epochs} onChange={(e) => setEpochs(e.target.value)} inputMode="numeric" />
        </label>
        {version === null && (
          <>
            <label className="field">
              <span>Seed</span>
              <input name="seed" value={seed} onChange={(e) => setSeed(e.target.value)} inputMode="numeric" />
            </label>
            <label className="field">
              <span>Kernel sizes</span>
              <input name="kernel_sizes" value={kernels} onChange={(e) => setKernels(e.target.value)} />
            </label>
            {HP_FIELDS.map((f) => (
              <label className="field" key={f.key}>
                <span>{f.label}</span>
                <input
                  name={f.key}
                  value={hp[f.key] ?? ""}
                  onChange={(e) => setHp({ ...hp, [f.key]: e.target.value })}
                  inputMode="decimal"
                />
              </label>
            ))}
          </>
        )}
        {version !== null && (
          <p className="muted span-2">
            {version.architecture} ·{" "}
            {Object.entries(version.hyperparameters)
              .slice(0, 6)
              .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
              .join(", ")}
          </p>
        )}
        <FormFooter
          error={localError ?? (serverError ? errorMessage(serverError) : null)}
          busy={busy}
          label="Start training"
          busyLabel="Starting…"
          onCancel={onClose}
        />
      </form>
    </Modal>
  );
}

export function ImportDialog({ projectId, onClose }: { projectId: number; onClose: () => void }) {
  const imp = useImportImdb(projectId);
  const upload = useUploadImdb(projectId);
  const [file, setFile] = useState<File | null>(null);
  const [path, setPath] = useState("");
  const [name, setName] = useState("IMDB");
  const [subset, setSubset] = useState("");
  const [valSize, setValSize] = useState("5000");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const options = { name, val_size: Number(valSize), seed: 0, subset_per_class: subset ? Number(subset) : null };
    // A chosen file is uploaded; a path on the server is read there (site administrators only).
    if (file !== null) upload.mutate({ file, fields: options }, { onSuccess: onClose });
    else imp.mutate({ ...options, path: path.trim() }, { onSuccess: onClose });
  };
  const error = file !== null ? upload.error : imp.error;
  return (
    <Modal title="Import the IMDB dataset" onClose={onClose}>
      <form onSubmit={submit} className="form-grid" aria-label="Import">
        <label className="field span-2">
          <span>Archive to upload (aclImdb_v1.tar.gz)</span>
          <input
            name="archive"
            type="file"
            accept=".tar.gz,.tgz"
            onChange={(e) => setFile(e.target.files?.[0] ?? null)}
          />
        </label>
        <label className="field span-2">
          <span>…or an archive or folder on the server (administrators)</span>
          <input
            name="path"
            value={path}
            onChange={(e) => setPath(e.target.value)}
            placeholder="/data/imports/aclImdb_v1.tar.gz"
            disabled={file !== null}
          />
        </label>
        <label className="field">
          <span>Name</span>
          <input name="dataset_name" value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label className="field">
          <span>Validation size (count or fraction)</span>
          <input name="val_size" value={valSize} onChange={(e) => setValSize(e.target.value)} inputMode="decimal" />
        </label>
        <label className="field">
          <span>Reviews per split and class</span>
          <input
            name="subset_per_class"
            value={subset}
            onChange={(e) => setSubset(e.target.value)}
            placeholder="all"
            inputMode="numeric"
          />
        </label>
        <FormFooter
          error={error ? errorMessage(error) : null}
          busy={imp.isPending || upload.isPending}
          disabled={file === null && !path.trim()}
          label="Import"
          busyLabel={file !== null ? "Uploading…" : "Starting…"}
          onCancel={onClose}
        />
      </form>
    </Modal>
  );
}

/** What the upload dialog checks before sending (the API checks the file itself and answers with row numbers). */
export function validateUploadForm(file: File | null, valSize: string): string | null {
  if (file === null) return "choose a file";
  const v = Number(valSize);
  if (!Number.isFinite(v) || v <= 0) return "validation size must be a count or a fraction above 0";
  if (v >= 1 && !Number.isInteger(v)) return "validation size must be a whole count (≥ 1) or a fraction (< 1)";
  return null;
}

export function UploadDialog({ projectId, onClose }: { projectId: number; onClose: () => void }) {
  const upload = useUploadDataset(projectId);
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState("");
  const [valSize, setValSize] = useState("0.2");
  const [localError, setLocalError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const problem = validateUploadForm(file, valSize);
    setLocalError(problem);
    if (problem || file === null) return;
    const datasetName = name.trim() || file.name.replace(/\.(csv|jsonl|ndjson|zip|tar\.gz|tgz)$/i, "") || "dataset";
    upload.mutate({ file, fields: { name: datasetName, val_size: Number(valSize) } }, { onSuccess: onClose });
  };
  return (
    <Modal title="Upload a dataset" onClose={onClose}>
      <form onSubmit={submit} className="form-grid" aria-label="Upload">
        <label className="field span-2">
          <span>File</span>
          <input
            name="file"
            type="file"
            accept=".csv,.jsonl,.ndjson,.zip,.tar.gz,.tgz"
            onChange={(e) => setFile(e.target.files?.[0] ?? null)}
          />
        </label>
        <p className="muted small span-2">
          CSV with columns <code>text</code> and <code>label</code> (train.csv, valid.csv, test.csv, or a{" "}
          <code>split</code> column); other columns become metadata. Also JSONL, or a .zip / .tar.gz of those or of
          folders <code>split/class/id_score.txt</code>. Any two or more classes.
        </p>
        <label className="field">
          <span>Name</span>
          <input
            name="dataset_name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder={file?.name ?? "dataset"}
          />
        </label>
        <label className="field">
          <span>Validation size when there is no valid split (count or fraction)</span>
          <input name="val_size" value={valSize} onChange={(e) => setValSize(e.target.value)} inputMode="decimal" />
        </label>
        <FormFooter
          error={localError ?? (upload.error ? errorMessage(upload.error) : null)}
          busy={upload.isPending}
          label="Upload"
          busyLabel="Uploading…"
          onCancel={onClose}
        />
      </form>
    </Modal>
  );
}
