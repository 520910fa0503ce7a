import { QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor } from "@testing-library/react";
import { createMemoryRouter, RouterProvider } from "react-router";
import { makeQueryClient } from "../App";
import { ApiError } from "../api/client";
import { ProjectPage } from "../views/ProjectPage";
import { ProjectsPage } from "../views/ProjectsPage";
import { ErrorState } from "./States";
import { jsonResponse, stubFetch } from "../test/fetch";

class FakeEventSource {
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  addEventListener() {}
  close() {}
}

function renderAt(path: string, routes: { path: string; element: React.ReactNode }[]) {
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  return render(
    <QueryClientProvider client={makeQueryClient()}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
  );
}

describe("error states", () => {
  beforeEach(() => {
    vi.stubGlobal("EventSource", FakeEventSource);
  });
  afterEach(() => vi.unstubAllGlobals());

  it("shows the API's detail message", () => {
    render(<ErrorState error={new ApiError(404, "project 9 not found")} />);
    expect(screen.getByRole("alert")).toHaveTextContent("project 9 not found");
  });

  it("shows a server error on the projects page instead of a blank page", async () => {
    stubFetch(() => jsonResponse(503, { detail: "database unavailable, try again shortly" }));
    renderAt("/", [{ path: "/", element: <ProjectsPage /> }]);
    await waitFor(
      () => expect(screen.getByRole("alert")).toHaveTextContent("database unavailable, try again shortly"),
      { timeout: 8000 },
    );
  }, 10000);

  it("shows a 404 for an unknown project", async () => {
    vi.stubGlobal("EventSource", FakeEventSource);
    stubFetch(() => jsonResponse(404, { detail: "project 42 not found" }));
    renderAt("/projects/42/dashboard", [{ path: "/projects/:projectId/:view?", element: <ProjectPage /> }]);
    await waitFor(() => expect(screen.getAllByRole("alert")[0]).toHaveTextContent("project 42 not found"));
    expect(screen.getByText("Cannot open this project")).toBeInTheDocument();
  });

  it("shows 'cannot reach the API' when the server is down", async () => {
    stubFetch(() => {
      throw new TypeError("Failed to fetch");
    });
    renderAt("/", [{ path: "/", element: <ProjectsPage /> }]);
    await waitFor(() => expect(screen.getByRole("alert")).toHaveTextContent("cannot reach the API"), { timeout: 8000 });
  }, 10000);
});
