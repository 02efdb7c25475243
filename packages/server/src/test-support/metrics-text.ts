/** One line of the Prometheus text format: a series and its value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  labelPair.lastIndex = 0;
  let end = 0;
  for (let match = labelPair.exec(text); match; match = labelPair.exec(text)) {
    const [whole, name = "", escaped = ""] = match;
    labels[name] = escaped.replace(/\\(["\\n])/g, (_, c: string) => (c === "n" ? "\n" : c));
    end += whole.length;
  }
  if (end !== text.length) throw new Error(`Malformed labels in metrics line: ${line}`);
  return labels;
}

/** Every sample of a scrape in Prometheus' text format (comment lines skipped). */
export function parseMetrics(text: string): Sample[] {
  return text
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const match = sampleLine.exec(line);
      if (!match) throw new Error(`Malformed metrics line: ${line}`);
      const [, name = "", labels = "", value = ""] = match;
      return { name, labels: parseLabels(labels, line), value: Number(value) };
    });
}

/** The value of the series `name` whose labels include `labels`, summed over those that match; 0 when none. */
export function sampleValue(
  samples: readonly Sample[],
  name: string,
  labels: Record<string, string> = {},
): number {
  return samples
    .filter(
      (sample) =>
        sample.name === name &&
        Object.entries(labels).every(([label, value]) => sample.labels[label] === value),
    )
    .reduce((sum, sample) => sum + sample.value, 0);
}

/** Scrapes `url` and parses what it answers. */
export async function scrape(url: string): Promise<Sample[]> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`Scraping ${url} answered ${response.status}`);
  return parseMetrics(await response.text());
}
