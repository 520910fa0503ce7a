/** A project's datasets: the list, importing IMDB and uploading a custom dataset (both run as jobs). */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "./client";
import { keys } from "./keys";

export function useDatasets(projectId: number) {
  return useQuery({
    queryKey: keys.datasets(projectId),
    queryFn: () =>
      unwrap(api.GET("/api/projects/{project_id}/datasets", { params: { path: { project_id: projectId } } })),
  });
}

export function useImportImdb(projectId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["ImdbImportRequest"]) =>
      unwrap(
        api.POST("/api/projects/{project_id}/datasets/imdb", { params: { path: { project_id: projectId } }, body }),
      ),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.datasets(projectId) }),
  });
}

/** A multipart body: the file, then every field that has a value. */
function uploadForm(file: File, fields: Record<string, string | number | boolean | null | undefined>): FormData {
  const form = new FormData();
  form.append("file", file, file.name);
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== null) form.append(k, String(v));
  return form;
}

/** Form fields of the upload besides the file (the API's multipart body, Body_uploadDataset). */
export type DatasetUploadFields = Omit<Schemas["Body_uploadDataset"], "file">;

export function useUploadDataset(projectId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ file, fields }: { file: File; fields: DatasetUploadFields }) => {
      // A FormData body goes out as multipart (openapi-fetch leaves its Content-Type to the browser).
      const body = uploadForm(file, fields) as unknown as Schemas["Body_uploadDataset"];
      return unwrap(
        api.POST("/api/projects/{project_id}/datasets/upload", { params: { path: { project_id: projectId } }, body }),
      );
    },
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.datasets(projectId) }),
  });
}

/** Form fields of the IMDB archive's upload besides the file (Body_uploadImdb). */
export type ImdbUploadFields = Omit<Schemas["Body_uploadImdb"], "file">;

export function useUploadImdb(projectId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ file, fields }: { file: File; fields: ImdbUploadFields }) => {
      const body = uploadForm(file, fields) as unknown as Schemas["Body_uploadImdb"];
      return unwrap(
        api.POST("/api/projects/{project_id}/datasets/imdb/upload", {
          params: { path: { project_id: projectId } },
          body,
        }),
      );
    },
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.datasets(projectId) }),
  });
}
