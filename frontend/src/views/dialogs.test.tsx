import { QueryClientProvider } from "@tanstack/react-query";
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { makeQueryClient } from "../App";
import { ImportDialog, UploadDialog, validateUploadForm } from "./dialogs";
import { jsonResponse, stubFetch } from "../test/fetch";

function renderUpload(onClose = vi.fn()) {
  render(
    <QueryClientProvider client={makeQueryClient()}>
      <UploadDialog projectId={7} onClose={onClose} />
    </QueryClientProvider>,
  );
  return onClose;
}

function chooseFile(name: string, text: string) {
  const input = document.querySelector('input[type="file"]') as HTMLInputElement;
  fireEvent.change(input, { target: { files: [new File([text], name, { type: "text/csv" })] } });
}

describe("upload dialog", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("checks the form before sending", () => {
    const csv = new File(["text,label\n"], "train.csv");
    expect(validateUploadForm(null, "0.2")).toBe("choose a file");
    expect(validateUploadForm(csv, "2.5")).toMatch(/whole count/);
    expect(validateUploadForm(csv, "0")).toMatch(/above 0/);
    expect(validateUploadForm(csv, "500")).toBeNull();
  });

  it("sends the file as multipart and closes once the job is queued", async () => {
    const seen: { url: string; form: FormData }[] = [];
    const raw: string[] = [];
    stubFetch(async (req: Request) => {
      seen.push({ url: req.url, form: await req.clone().formData() });
      raw.push(await req.text());
      return jsonResponse(202, { id: 1, kind: "import", state: "PENDING" });
    });
    const onClose = renderUpload();
    chooseFile("news.csv", "text,label\nhello,a\n");
    fireEvent.click(screen.getByRole("button", { name: "Upload" }));
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(new URL(seen[0]!.url).pathname).toBe("/api/projects/7/datasets/upload");
    const form = seen[0]!.form;
    // A file part is there; its name and bytes can't be checked here: jsdom's File and FormData don't
    // pass through Node's fetch (undici), which serializes them as "blob" / "undefined".
    expect(raw[0]).toContain('Content-Disposition: form-data; name="file"; filename=');
    expect(form.get("file")).not.toBeNull();
    expect(form.get("name")).toBe("news");
    expect(form.get("val_size")).toBe("0.2");
  });

  it("shows the server's row error as text", async () => {
    const detail = "train.csv row 3: empty text; <b>not markup</b>";
    stubFetch(() => jsonResponse(422, { detail }));
    const onClose = renderUpload();
    chooseFile("train.csv", "text,label\n");
    fireEvent.click(screen.getByRole("button", { name: "Upload" }));
    await waitFor(() => expect(screen.getByRole("alert")).toHaveTextContent(detail));
    expect(screen.getByRole("alert").querySelector("b")).toBeNull();
    expect(onClose).not.toHaveBeenCalled();
  });
});

describe("IMDB import dialog", () => {
  afterEach(() => vi.unstubAllGlobals());

  function renderImport(onClose = vi.fn()) {
    render(
      <QueryClientProvider client={makeQueryClient()}>
        <ImportDialog projectId={7} onClose={onClose} />
      </QueryClientProvider>,
    );
    return onClose;
  }

  it("uploads a chosen archive with the import options", async () => {
    const seen: { url: string; form: FormData }[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (req: Request) => {
        seen.push({ url: req.url, form: await req.clone().formData() });
        return jsonResponse(202, { id: 1, kind: "import", state: "PENDING" });
      }),
    );
    const onClose = renderImport();
    const input = document.querySelector('input[name="archive"]') as HTMLInputElement;
    fireEvent.change(input, {
      target: { files: [new File(["x"], "aclImdb_v1.tar.gz", { type: "application/gzip" })] },
    });
    expect((document.querySelector('input[name="path"]') as HTMLInputElement).disabled).toBe(true);
    fireEvent.change(document.querySelector('input[name="subset_per_class"]')!, { target: { value: "300" } });
    fireEvent.click(screen.getByRole("button", { name: "Import" }));
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(new URL(seen[0]!.url).pathname).toBe("/api/projects/7/datasets/imdb/upload");
    const form = seen[0]!.form;
    expect(form.get("file")).not.toBeNull();
    expect(form.get("subset_per_class")).toBe("300");
    expect(form.get("val_size")).toBe("5000");
    expect(form.get("path")).toBeNull();
  });

  it("sends a server path as JSON, and shows the server's refusal", async () => {
    const detail = "only a site administrator can import from a path on the server; upload the file instead";
    const bodies: unknown[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (req: Request) => {
        bodies.push({ url: new URL(req.url).pathname, body: (await req.json()) as unknown });
        return jsonResponse(403, { detail });
      }),
    );
    const onClose = renderImport();
    fireEvent.change(document.querySelector('input[name="path"]')!, { target: { value: " /data/imports/a.tar.gz " } });
    fireEvent.click(screen.getByRole("button", { name: "Import" }));
    await waitFor(() => expect(screen.getByRole("alert")).toHaveTextContent(detail));
    expect(bodies[0]).toMatchObject({ url: "/api/projects/7/datasets/imdb", body: { path: "/data/imports/a.tar.gz" } });
    expect(onClose).not.toHaveBeenCalled();
  });
});
