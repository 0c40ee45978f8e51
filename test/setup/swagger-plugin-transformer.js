// Runs the @nestjs/swagger CLI plugin inside ts-jest, as `nest build` does for the real build.
// Bump `version` whenever the plugin options change, or ts-jest serves stale cached output.
const plugin = require('@nestjs/swagger/plugin');

module.exports = {
  name: 'nestjs-swagger-plugin',
  version: '1',
  factory: (compilerInstance, options) => plugin.before(options, compilerInstance.program),
};
