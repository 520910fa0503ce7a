import { mapEpochToShow } from "./MapView";

describe("which epoch's map the Population view opens", () => {
  it("opens the newest finished map while the latest epoch's is being built", () => {
    expect(mapEpochToShow(4, false, [1, 2, 3])).toBe(3);
    expect(mapEpochToShow(4, false, [3, 1])).toBe(3);
  });
  it("opens the latest epoch once its map is finished, or when no older map exists", () => {
    expect(mapEpochToShow(4, false, [1, 2, 3, 4])).toBe(4);
    expect(mapEpochToShow(1, false, [])).toBe(1);
  });
  it("keeps an epoch the URL names, finished or not", () => {
    expect(mapEpochToShow(4, true, [1, 2, 3])).toBe(4);
  });
});
