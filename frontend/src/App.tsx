import { QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { lazy, Suspense, type ReactNode } from "react";
import { createBrowserRouter, Link, RouterProvider } from "react-router";
import { ApiError } from "./api/client";
import { keys } from "./api/keys";
import { AuthGate } from "./components/AuthGate";
import { Loading } from "./components/States";

// Each page is its own chunk, loaded on first visit: the charting, graph and WebGL libraries come only
// with the pages (and, inside the project page, the views) that draw with them.
const ProjectsPage = lazy(() => import("./views/ProjectsPage").then((m) => ({ default: m.ProjectsPage })));
const ProjectPage = lazy(() => import("./views/ProjectPage").then((m) => ({ default: m.ProjectPage })));
const SweepPage = lazy(() => import("./views/SweepPage").then((m) => ({ default: m.SweepPage })));
const ReportPage = lazy(() => import("./views/ReportPage").then((m) => ({ default: m.ReportPage })));

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

function Page({ children }: { children: ReactNode }) {
  return (
    <Suspense
      fallback={
        <div className="page-center">
          <Loading />
        </div>
      }
    >
      {children}
    </Suspense>
  );
}

const router = createBrowserRouter([
  {
    path: "/",
    element: (
      <Page>
        <ProjectsPage />
      </Page>
    ),
  },
  {
    path: "/projects/:projectId/sweeps/:sweepId",
    element: (
      <Page>
        <SweepPage />
      </Page>
    ),
  },
  {
    path: "/projects/:projectId/:view?",
    element: (
      <Page>
        <ProjectPage />
      </Page>
    ),
  },
  {
    path: "/projects/:projectId/versions/:versionId/report",
    element: (
      <Page>
        <ReportPage />
      </Page>
    ),
  },
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
