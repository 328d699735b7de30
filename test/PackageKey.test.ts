import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as PackageKey from "../src/PackageKey.js"

describe("PackageKey", () => {
  it("resolves ecosystem aliases to one canonical name", () => {
    for (const spelling of ["PyPI", "pypi", "pip", "PIP", " Python "]) {
      expect(PackageKey.normalizeEcosystem(spelling)).toBe("pypi")
    }
    for (const spelling of ["crates.io", "cargo", "RUST"]) expect(PackageKey.normalizeEcosystem(spelling)).toBe("cargo")
    expect(PackageKey.normalizeEcosystem("NPM")).toBe("npm")
    expect(PackageKey.normalizeEcosystem("ERLANG")).toBe("hex")
    expect(PackageKey.normalizeEcosystem("Debian:11")).toBe("debian:11")
  })

  it("folds names per ecosystem rules", () => {
    expect(PackageKey.unsafeMake("PyPI", "Django_Rest.Framework")).toEqual({ ecosystem: "pypi", name: "django-rest-framework" })
    expect(PackageKey.unsafeMake("Go", "github.com/BurntSushi/toml")).toEqual({ ecosystem: "go", name: "github.com/BurntSushi/toml" })
    expect(PackageKey.unsafeMake("npm", "Lodash")).toEqual({ ecosystem: "npm", name: "lodash" })
    expect(PackageKey.unsafeMake("Maven", "org.Apache:Log4J")).toEqual({ ecosystem: "maven", name: "org.apache:log4j" })
    expect(PackageKey.unsafeMake("AlmaLinux:8", "OpenSSL")).toEqual({ ecosystem: "almalinux:8", name: "OpenSSL" })
  })

  it.effect("rejects empty, over-long and control-character input with InvalidInput", () =>
    Effect.gen(function*() {
      const empty = yield* Effect.flip(PackageKey.make("npm", "  "))
      expect(empty._tag).toBe("InvalidInput")
      expect(empty.field).toBe("name")
      const long = yield* Effect.flip(PackageKey.make("npm", "a".repeat(5000)))
      expect(long.detail).toContain("longer than 1024")
      const control = yield* Effect.flip(PackageKey.make("np\nm", "x"))
      expect(control.field).toBe("ecosystem")
    }))
})

describe("validateEcosystem", () => {
  it.effect("every OSV ecosystem, alias, case and `:variant` is accepted", () =>
    Effect.gen(function*() {
      for (
        const ecosystem of [
          "npm", "NPM", "PyPI", "pip", "crates.io", "cargo", "Go", "golang", "GIT", "Debian:12", "Ubuntu:Pro:18.04:LTS",
          "Packagist:https://packages.drupal.org/8", "Maven:https://maven.google.com", "Photon OS:3.0", "Red Hat:rhel_aus:8.4::appstream",
          "AlmaLinux:9", "Alpine:v3.16", "Bitnami", "OSS-Fuzz", "Julia", "opam", "GitHub Actions", "SwiftURL", "Linux"
        ]
      ) {
        expect(yield* PackageKey.validateEcosystem(ecosystem)).toBe(ecosystem)
      }
    }))

  it.effect("a typo is an InvalidInput with a did-you-mean and the known list", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(PackageKey.validateEcosystem("nmp"))
      expect(error._tag).toBe("InvalidInput")
      expect(error.message).toContain(`did you mean "npm"`)
      expect(error.message).toContain("known: AlmaLinux")
      expect((yield* Effect.flip(PackageKey.validateEcosystem("pypj"))).message).toContain(`did you mean "PyPI"`)
      expect((yield* Effect.flip(PackageKey.validateEcosystem("Debain:12"))).message).toContain(`did you mean "Debian"`)
      expect((yield* Effect.flip(PackageKey.validateEcosystem("rubygem"))).message).toContain(`"RubyGems"`)
      const far = yield* Effect.flip(PackageKey.validateEcosystem("zzzzzz"))
      expect(far.message).not.toContain("did you mean")
      expect(far.message).toContain("unknown ecosystem")
    }))
})
