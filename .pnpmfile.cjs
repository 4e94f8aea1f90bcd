// What npm receives: the packed package.json keeps what a consumer installs and runs, and drops what only
// builds and tests the package here (devDependencies name the private @shieldwall/test-utils; scripts would run
// the workspace's tsup config, which a tarball does not hold).
module.exports = {
  hooks: {
    beforePacking(pkg) {
      delete pkg.devDependencies;
      delete pkg.scripts;
      return pkg;
    },
  },
};
