import { QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createBrowserRouter, Link, RouterProvider } from "react-router";
import { ApiError } from "./api/client";
import { keys } from "./api/keys";
import { AuthGate } from "./components/AuthGate";
import { ProjectPage } from "./views/ProjectPage";
import { ProjectsPage } from "./views/ProjectsPage";
import { ReportPage } from "./views/ReportPage";
import { SweepPage } from "./views/SweepPage";

export function makeQueryClient() {
  const client: QueryClient = new QueryClient({
    // A 401 anywhere means the session ended (expired, signed out in another tab): back to sign-in.
    queryCache: new QueryCache({
      onError: (error, query) => {
        if (error instanceof ApiError && error.status === 401 && query.queryKey[0] !== keys.me[0])
          client.setQueryData(keys.me, null);
      },
    }),
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        // 4xx answers are final; retry only transient failures.
        retry: (count, error) => count < 2 && !(error instanceof ApiError && error.status >= 400 && error.status < 500),
        refetchOnWindowFocus: false,
      },
    },
  });
  return client;
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
  { path: "*", element: <NotFoundPage /> },
]);

const queryClient = makeQueryClient();

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <AuthGate>
        <RouterProvider router={router} />
      </AuthGate>
    </QueryClientProvider>
  );
}
