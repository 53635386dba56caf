/** Sent as `sdkVersion` on every beacon; a unit test keeps it equal to package.json's version. */
export const SDK_VERSION = '0.1.0';
