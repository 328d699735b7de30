/** The program version `vulnera --version` prints (kept equal to package.json's by test/cli.test.ts). */
export const version = "0.1.0"
