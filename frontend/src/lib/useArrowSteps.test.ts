import { renderHook } from "@testing-library/react";
import { arrowStep, useArrowSteps } from "./useArrowSteps";

const key = (k: string, target: Partial<HTMLElement> | null = null, mods: Partial<KeyboardEvent> = {}) => ({
  key: k,
  target: target as EventTarget | null,
  altKey: false,
  ctrlKey: false,
  metaKey: false,
  ...mods,
});

describe("arrowStep", () => {
  it("steps down and up with the arrows, and with j / k only where a list uses them", () => {
    expect(arrowStep(key("ArrowDown"))).toBe(1);
    expect(arrowStep(key("ArrowUp"))).toBe(-1);
    expect(arrowStep(key("j"))).toBeNull();
    expect(arrowStep(key("j"), true)).toBe(1);
    expect(arrowStep(key("k"), true)).toBe(-1);
    expect(arrowStep(key("Enter"), true)).toBeNull();
  });

  it("leaves keys typed into a field, and shortcuts with a modifier, alone", () => {
    for (const tagName of ["INPUT", "TEXTAREA", "SELECT"]) {
      expect(arrowStep(key("ArrowDown", { tagName }))).toBeNull();
      expect(arrowStep(key("j", { tagName }), true)).toBeNull();
    }
    expect(arrowStep(key("ArrowDown", { tagName: "TABLE" }))).toBe(1);
    expect(arrowStep(key("ArrowDown", null, { altKey: true }))).toBeNull();
    expect(arrowStep(key("k", null, { ctrlKey: true }), true)).toBeNull();
  });
});

describe("useArrowSteps", () => {
  it("steps from the sample it just opened when a second key comes before the page re-renders", () => {
    const onOpen = vi.fn();
    // `open` stays null: the page has not re-rendered with the first key's sample yet.
    renderHook(() => useArrowSteps([10, 11, 12], null, onOpen));
    window.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown" }));
    window.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown" }));
    window.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowUp" }));
    expect(onOpen.mock.calls.map((c) => c[0] as number)).toEqual([10, 11, 10]);
  });
});
