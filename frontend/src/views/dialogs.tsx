import { useState, type FormEvent } from "react";
import { errorMessage, type Version } from "../api/client";
import { useImportImdb, useUploadDataset, useUploadImdb } from "../api/datasets";
import type { ParamSpec } from "../api/analyses";
import { useArchitectures, useCreateVersion, useTrainVersion, type ArchitectureSpec } from "../api/versions";
import { FormFooter, Modal } from "../components/Overlay";
import { initialInputs, ParamFields } from "../components/ParamFields";
import { ErrorState } from "../components/States";
import { inputsProblem, paramsFromInputs, type ParamInputs } from "../lib/params";

/** What the Train dialog checks before sending: the epochs, then each hyperparameter against its spec. */
export function validateTrainForm(
  epochs: string,
  specs: readonly ParamSpec[],
  hp: ParamInputs,
  minEpochs: number,
  seed = "0",
): string | null {
  const e = Number(epochs);
  if (epochs.trim() === "" || !Number.isInteger(e) || e < 1) return "Epochs must be a whole number, 1 or more";
  if (e <= minEpochs) return `This version has already trained ${minEpochs} epochs; ask for more than that`;
  const s = Number(seed);
  if (seed.trim() === "" || !Number.isInteger(s) || s < 0) return "Seed must be a whole number, 0 or more";
  return inputsProblem(specs, hp);
}

function defaultArchitecture(archs: readonly ArchitectureSpec[]): ArchitectureSpec | undefined {
  return archs.find((a) => a.default) ?? archs[0];
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
  const archs = useArchitectures();
  const create = useCreateVersion(projectId);
  const train = useTrainVersion(projectId);
  const [epochs, setEpochs] = useState(String((version?.epochs_done ?? 0) + 1));
  const [seed, setSeed] = useState("0");
  // null until the specs arrive, then the default architecture (or what the user picked).
  const [archName, setArchName] = useState<string | null>(null);
  const [inputsByArch, setInputsByArch] = useState<Record<string, ParamInputs>>({});
  const [tried, setTried] = useState(false);
  const [localError, setLocalError] = useState<string | null>(null);
  const busy = create.isPending || train.isPending;
  const serverError = create.error ?? train.error;

  const arch =
    archs.data?.find((a) => a.name === archName) ?? (archs.data ? defaultArchitecture(archs.data) : undefined);
  const specs = arch?.params ?? [];
  // Each architecture keeps what was typed for it, so switching back and forth loses nothing.
  const inputs = arch ? (inputsByArch[arch.name] ?? initialInputs(specs, true)) : {};

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    const problem =
      version === null && !arch
        ? "The architectures have not loaded yet"
        : validateTrainForm(epochs, version === null ? specs : [], inputs, version?.epochs_done ?? 0, seed);
    setLocalError(problem);
    if (problem) return;
    create.reset();
    train.reset();
    try {
      let target = version;
      if (target === null && arch) {
        const hyperparameters = paramsFromInputs(specs, inputs);
        target = await create.mutateAsync({ architecture: arch.name, hyperparameters, seed: Number(seed) });
      }
      if (target === null) return;
      await train.mutateAsync({ versionId: target.id, epochs: Number(epochs) });
      onStarted(target.id);
      onClose();
    } catch {
      /* shown below from the mutation's error */
    }
  };

  return (
    <Modal title={version ? `Train ${version.name}` : "Train a new version"} onClose={onClose}>
      <form onSubmit={(e) => void submit(e)} className="form-grid" aria-label="Train" noValidate>
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
            {archs.isError && (
              <div className="span-2">
                <ErrorState error={archs.error} onRetry={() => void archs.refetch()} />
              </div>
            )}
            {archs.isPending && <p className="muted span-2">Loading the architectures…</p>}
            {arch && archs.data && (
              <>
                <div className="field span-2">
                  <label htmlFor="train-architecture">
                    <span>Architecture</span>
                  </label>
                  <select
                    id="train-architecture"
                    name="architecture"
                    aria-describedby="train-architecture-about"
                    value={arch.name}
                    onChange={(e) => {
                      setArchName(e.target.value);
                      setTried(false);
                      setLocalError(null);
                    }}
                  >
                    {archs.data.map((a) => (
                      <option key={a.name} value={a.name}>
                        {a.title}
                      </option>
                    ))}
                  </select>
                  <small id="train-architecture-about" className="field-hint">
                    {arch.description}
                  </small>
                </div>
                <ParamFields
                  specs={specs}
                  inputs={inputs}
                  onChange={(next) => setInputsByArch({ ...inputsByArch, [arch.name]: next })}
                  showProblems={tried}
                />
              </>
            )}
          </>
        )}
        {version !== null && (
          <p className="muted span-2">
            {archs.data?.find((a) => a.name === version.architecture)?.title ?? version.architecture} ·{" "}
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
