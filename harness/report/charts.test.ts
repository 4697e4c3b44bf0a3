import { describe, expect, it } from "vitest";
import { Charts, perSecondSteps } from "./charts.js";

describe("perSecondSteps", () => {
  it("holds each second's value over its second and leaves a gap where there was no traffic", () => {
    expect(perSecondSteps(10, [{ second: 0, value: 1 }, { second: 1, value: 2 }, { second: 4, value: 3 }])).toEqual([
      [10, 1],
      [11, 2],
      [12, 2],
      [12.001, null],
      [14, 3],
      [15, 3],
    ]);
  });

  it("draws a single second as its own step, and sorts what comes out of order", () => {
    expect(perSecondSteps(0, [{ second: 3, value: 5 }])).toEqual([[3, 5], [4, 5]]);
    expect(perSecondSteps(0, [{ second: 1, value: 2 }, { second: 0, value: 1 }])).toEqual([[0, 1], [1, 2], [2, 2]]);
  });
});

describe("Charts", () => {
  it("leaves out a plot with no value, and keeps a label from ending the page's script", () => {
    const charts = new Charts({ markers: [{ t: 1, label: "</script><b>", color: "#000", event: "note" }], tEnd: 2, timeScale: 0.01 });
    expect(charts.add({ title: "empty", unit: "%", series: [{ name: "a", color: "#000", kind: "line", points: [[1, null]] }] })).toBe("");
    expect(charts.add({ title: "x < y", unit: "%", series: [{ name: "a", color: "#000", kind: "line", points: [[1, 2]] }] })).toBe('<figure><figcaption>x &lt; y</figcaption><div class="plot" id="chart-1" data-title="x &lt; y"></div></figure>');
    const html = charts.html();
    expect(html).not.toContain("</script><b>");
    const json = /id="gameday-charts">(.*?)<\/script>/s.exec(html)![1]!;
    expect(JSON.parse(json).markers[0].label).toBe("</script><b>");
    expect(new Charts({ markers: [], tEnd: 0, timeScale: 1 }).html()).toBe("");
  });
});
