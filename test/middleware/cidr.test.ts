import { describe, expect, test } from "vitest";
import { addressMatcher, parseIp } from "../../src/middleware/cidr.js";

describe("parseIp", () => {
  test.each([
    ["::", "0"],
    ["::1", "1"],
    ["1::", "10000000000000000000000000000"],
    ["1.2.3.4", "ffff01020304"],
    ["::ffff:1.2.3.4", "ffff01020304"],
    ["::ffff:102:304", "ffff01020304"],
    ["1:2:3:4:5:6:7:8", "10002000300040005000600070008"],
    ["2001:db8::1", "20010db8000000000000000000000001"],
    ["64:ff9b::192.0.2.33", "64ff9b0000000000000000c0000221"],
    ["fe80::1%eth0", "fe800000000000000000000000000001"],
    ["[::1]", "1"],
  ])("%s", (text, hex) => {
    expect(parseIp(text)?.toString(16)).toBe(hex);
  });

  test.each(["", "x", "1.2.3", "1.2.3.256", "01.2.3.4", "::g", "1:2:3:4:5:6:7:8:9", "1.2.3.4:80"])(
    "%j is not an address",
    (text) => {
      expect(parseIp(text)).toBeNull();
    },
  );
});

describe("addressMatcher", () => {
  const trusted = addressMatcher([
    "10.0.0.0/8",
    "2001:db8::/32",
    "::1",
    "::ffff:192.168.0.0/112",
    "203.0.113.5",
  ]);
  test.each([
    ["10.9.9.9", true],
    ["::ffff:10.1.1.1", true], // IPv4-mapped IPv6 of a trusted IPv4 range
    ["11.0.0.1", false],
    ["2001:db8:ffff::1", true],
    ["2001:db9::1", false],
    ["::1", true],
    ["::2", false],
    ["192.168.5.5", true], // an IPv4 address in a mapped IPv6 range
    ["192.169.0.1", false],
    ["203.0.113.5", true],
    ["203.0.113.6", false],
    ["unix:", false],
    [undefined, false],
  ])("%s -> %s", (address, expected) => {
    expect(trusted(address)).toBe(expected);
  });

  test("/0 matches everything of its family space, IPv4 /0 only IPv4", () => {
    expect(addressMatcher(["0.0.0.0/0"])("8.8.8.8")).toBe(true);
    expect(addressMatcher(["0.0.0.0/0"])("2001:db8::1")).toBe(false);
    expect(addressMatcher(["::/0"])("2001:db8::1")).toBe(true);
  });

  test.each([
    ["nope", /not an IP address/],
    ["10.0.0.0/33", /prefix length must be 0-32/],
    ["::/129", /prefix length must be 0-128/],
    ["10.0.0.0/x", /prefix length/],
  ])("%s throws", (entry, message) => {
    expect(() => addressMatcher([entry])).toThrow(message);
  });
});
