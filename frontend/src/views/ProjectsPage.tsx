import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { errorMessage } from "../api/client";
import { useCreateProject, useProjects } from "../api/projects";
import { Empty, QueryView } from "../components/States";
import { TopBar } from "../components/TopBar";
import { compact, relativeTime } from "../lib/format";

function CreateProject() {
  const create = useCreateProject();
  const navigate = useNavigate();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate(
      { name: name.trim(), description },
      { onSuccess: (p) => void navigate(`/projects/${p.id}/dashboard`) },
    );
  };
  return (
    <form className="card create-card" onSubmit={submit} aria-label="Create project">
      <h2>New project</h2>
      <label className="field">
        <span>Name</span>
        <input
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="e.g. IMDB sentiment"
          required
          maxLength={200}
          name="name"
        />
      </label>
      <label className="field">
        <span>Description</span>
        <input
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          placeholder="optional"
          maxLength={5000}
          name="description"
        />
      </label>
      {create.error && (
        <div className="form-error" role="alert">
          {errorMessage(create.error)}
        </div>
      )}
      <button className="btn btn-primary" type="submit" disabled={!name.trim() || create.isPending}>
        {create.isPending ? "Creating…" : "Create project"}
      </button>
    </form>
  );
}

export function ProjectsPage() {
  const projects = useProjects();
  return (
    <div className="app">
      <TopBar />
      <main className="projects-page">
        <div className="page-head">
          <h1>Projects</h1>
          <p className="muted">
            Each project holds a dataset, its model versions, and every flag you raise on its samples.
          </p>
        </div>
        <div className="project-grid">
          <CreateProject />
          <QueryView query={projects} loading="Loading projects…">
            {(list) =>
              list.length === 0 ? (
                <Empty>No projects yet: create one to import a dataset and train a model.</Empty>
              ) : (
                list.map((p) => (
                  <Link
                    key={p.id}
                    to={`/projects/${p.id}/dashboard`}
                    className="card project-card"
                    data-testid="project-card"
                  >
                    <h2>{p.name}</h2>
                    {p.description && <p className="muted clamp">{p.description}</p>}
                    <dl className="stats">
                      <div>
                        <dt>Dataset</dt>
                        <dd>{p.summary?.datasets ? `${compact(p.summary.samples ?? 0)} samples` : "none yet"}</dd>
                      </div>
                      <div>
                        <dt>Versions</dt>
                        <dd>{p.summary?.versions ?? 0}</dd>
                      </div>
                      <div>
                        <dt>Last activity</dt>
                        <dd>{relativeTime(p.summary?.last_activity ?? p.updated_at)}</dd>
                      </div>
                    </dl>
                    <span className="card-cta">Open →</span>
                  </Link>
                ))
              )
            }
          </QueryView>
        </div>
      </main>
    </div>
  );
}
