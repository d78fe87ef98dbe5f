export { type InjectRequest, type InjectResult, inject } from "./testing/inject.js";
