import { createServer } from "node:http";
import { createRequire } from "node:module";
import connect from "connect";
import express from "express";
import fastify from "fastify";
import { Hono } from "hono";
import Koa from "koa";
import { describe, expect, test } from "vitest";
import { type AppKind, classify } from "../../../src/frontends/cgi/app-kind.js";

// Express 4 has no types installed (only Express 5's).
const express4 = createRequire(import.meta.url)("express4") as () => unknown;
const koa = new Koa();
const tsgiApp = (_environ: unknown, _startResponse: unknown) => [];

describe("classify: what an export is (issue 8 §2)", () => {
  test.each<[string, () => unknown, AppKind, string | null]>([
    ["an Express 5 app", () => express(), "node", "an Express or Connect app"],
    ["an Express 4 app", () => express4(), "node", "an Express or Connect app"],
    ["a Connect app", () => connect(), "node", "an Express or Connect app"],
    ["a Koa app", () => koa, "node", "a Koa app"],
    ["a Fastify instance", () => fastify(), "node", "a Fastify instance"],
    ["an http.Server", () => createServer(), "node", "an http.Server"],
    ["a Hono app", () => new Hono(), "fetch", "a fetch handler"],
    ["an object with fetch", () => ({ fetch: () => new Response() }), "fetch", "a fetch handler"],
    ["a tsgi app", () => tsgiApp, "tsgi", null],
    [
      "a tsgi app with rest parameters",
      () =>
        (...args: unknown[]) =>
          args,
      "tsgi",
      null,
    ],
    ["a bare (req, res) listener: a tsgi app unless forced", () => koa.callback(), "tsgi", null],
  ])("%s", (_name, make, kind, description) => {
    const detected = classify(make(), "x", undefined);
    expect(detected.kind).toBe(kind);
    if (detected.kind !== "tsgi") expect(detected.description).toBe(description);
  });

  test.each<[string, unknown, RegExp]>([
    [
      "one parameter",
      (request: Request) => request,
      /^x takes one parameter, like a fetch handler \(request\) => Response: use --adapter fetch, or --adapter tsgi/,
    ],
    [
      "three parameters",
      (_req: unknown, _res: unknown, next: () => void) => next(),
      /^x takes 3 parameters, like Node middleware \(req, res, next\): use --adapter node, or --adapter tsgi/,
    ],
    ["a number", 42, /^x is not a function \(got number\); an app is a tsgi app/],
    ["a plain object", { some: 1 }, /^x is not a function \(got object\)/],
    ["null", null, /^x is not a function \(got null\)/],
  ])("%s is refused with the flag to use", (_name, value, message) => {
    expect(() => classify(value, "x", undefined)).toThrow(message);
  });

  test.each<[AppKind, unknown, AppKind]>([
    ["node", koa.callback(), "node"],
    ["fetch", (request: Request) => request, "fetch"],
    ["tsgi", (environ: unknown) => environ, "tsgi"],
    // A forced kind is obeyed, even against what detection would say.
    ["node", new Hono(), "node"],
  ])("--adapter %s", (adapter, value, kind) => {
    expect(classify(value, "x", adapter).kind).toBe(kind);
  });

  test("a forced kind still needs something callable", () => {
    expect(() => classify(3, "x", "node")).toThrow("x is not a node app (got number)");
    expect(() => classify(3, "x", "tsgi")).toThrow("x is not a function (got number)");
  });

  test("an unknown adapter names the choices", () => {
    expect(() => classify(tsgiApp, "x", "express" as AppKind)).toThrow(
      'unknown adapter "express": use --adapter tsgi, node or fetch',
    );
  });

  test("the error comes from the refuse function given", () => {
    class Mine extends Error {}
    expect(() => classify(1, "x", undefined, (m) => new Mine(m))).toThrow(Mine);
  });
});
