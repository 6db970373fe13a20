/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';

// One Jest run over every workspace: `npx jest` here, or `npx jest --selectProjects emulator`.
// `npm test` runs the same suites through turbo, one package at a time, with caching.
const config: Config = {
  projects: ['<rootDir>/packages/*/jest.config.js', '<rootDir>/apps/*/jest.config.js', '<rootDir>/tools/*/jest.config.js'],
};

export default config;
