import { QueryClientProvider } from "@tanstack/react-query";
import { fireEvent, render, screen } from "@testing-library/react";
import { makeQueryClient } from "../App";
import { withCsrf } from "../api/client";
import { AuthGate } from "./AuthGate";
import { jsonResponse, stubFetch } from "../test/fetch";

const ME = {
  id: 1,
  username: "ann",
  is_admin: false,
  created_at: "2026-01-01T00:00:00Z",
  has_password: true,
  csrf_token: "c",
};

describe("sign-in gate", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    document.cookie = "lensboard_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT";
  });

  it("shows the sign-in form to a visitor, then the app once the password is right", async () => {
    let signedIn = false;
    const sent: { url: string; body: string }[] = [];
    stubFetch(async (req: Request) => {
      if (req.url.endsWith("/api/auth/me"))
        return signedIn ? jsonResponse(200, ME) : jsonResponse(401, { detail: "sign in first" });
      sent.push({ url: req.url, body: await req.text() });
      const { password } = JSON.parse(sent[sent.length - 1]?.body ?? "{}") as { password: string };
      if (password !== "right password") return jsonResponse(401, { detail: "wrong username or password" });
      signedIn = true;
      return jsonResponse(200, ME);
    });
    render(
      <QueryClientProvider client={makeQueryClient()}>
        <AuthGate>
          <p>the dashboard</p>
        </AuthGate>
      </QueryClientProvider>,
    );
    await screen.findByRole("form", { name: "Sign in" }, { timeout: 10_000 });
    expect(screen.queryByText("the dashboard")).toBeNull();
    fireEvent.change(screen.getByLabelText("Username"), { target: { value: "ann" } });
    fireEvent.change(screen.getByLabelText("Password"), { target: { value: "wrong" } });
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert", {}, { timeout: 10_000 })).toHaveTextContent("wrong username or password");
    fireEvent.change(screen.getByLabelText("Password"), { target: { value: "right password" } });
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    await screen.findByText("the dashboard", {}, { timeout: 10_000 });
    expect(sent.map((s) => new URL(s.url).pathname)).toEqual(["/api/auth/login", "/api/auth/login"]);
  }, 30_000);

  it("echoes the CSRF cookie on state-changing requests only", async () => {
    document.cookie = "lensboard_csrf=tok%2Ben";
    const post = withCsrf(new Request("http://x/api/projects", { method: "POST", body: "{}" }));
    expect(post.headers.get("X-CSRF-Token")).toBe("tok+en");
    expect(await post.text()).toBe("{}");
    expect(withCsrf(new Request("http://x/api/projects")).headers.get("X-CSRF-Token")).toBeNull();
  });
});
