import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createBrowserRouter, Link, RouterProvider } from "react-router";
import { ApiError } from "./api/client";
import { BenchMapPage } from "./views/BenchMapPage";
import { ProjectPage } from "./views/ProjectPage";
import { ProjectsPage } from "./views/ProjectsPage";
import { ReportPage } from "./views/ReportPage";
import { SweepPage } from "./views/SweepPage";

export function makeQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        // 4xx answers are final; retry only transient failures.
        retry: (count, error) => count < 2 && !(error instanceof ApiError && error.status >= 400 && error.status < 500),
        refetchOnWindowFocus: false,
      },
    },
  });
}

function NotFoundPage() {
  return (
    <div className="page-center">
      <h1>Page not found</h1>
      <Link to="/">Back to projects</Link>
    </div>
  );
}

const router = createBrowserRouter([
  { path: "/", element: <ProjectsPage /> },
  { path: "/projects/:projectId/sweeps/:sweepId", element: <SweepPage /> },
  { path: "/projects/:projectId/:view?", element: <ProjectPage /> },
  { path: "/projects/:projectId/versions/:versionId/report", element: <ReportPage /> },
  { path: "/_bench/map", element: <BenchMapPage /> },
  { path: "*", element: <NotFoundPage /> },
]);

const queryClient = makeQueryClient();

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  );
}
