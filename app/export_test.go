package app

// NewWithUpgrades builds the app with the given upgrades in place of
// Upgrades: the binary before an upgrade (without its handler) or after it.
var NewWithUpgrades = newApp
