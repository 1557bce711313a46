/**
 * The package version, as in package.json (a spec keeps the two equal). A constant rather
 * than a read of package.json: the CLI is also run bundled, away from the package's files.
 */
export const VERSION = '0.1.0';
