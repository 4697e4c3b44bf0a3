import { request, type RequestOptions } from "node:https";

/**
 * One HTTPS request to a part of the cluster that the API client does not
 * cover (etcd's JSON gateway, the API server's /metrics), with the body it
 * sends: the answer's text on a 200, else an error that names `what`, its
 * status and the start of what it said. Gives up after 10 s.
 */
export function httpsText(options: RequestOptions, what: string, body?: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const req = request({ ...options, timeout: 10_000 }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`${what} answered ${res.statusCode}: ${text.slice(0, 200)}`))));
    });
    req.on("timeout", () => req.destroy(new Error(`${what} did not answer within 10 s`)));
    req.on("error", reject);
    req.end(body);
  });
}
