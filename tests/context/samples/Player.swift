import Foundation

/// The most players in a room.
let maxPlayers = 8

/// Something that can be played.
protocol Playable {
    /// Starts playing.
    func play() -> Bool
}

/// A player in a room.
struct Player {
    let name: String
    var score: Int

    /// Adds points to the score.
    mutating func add(points: Int) {
        score += points // BODY_MARKER
    }
}

/// A room of players.
class Room: Playable {
    var players: [Player] = []

    /// Starts the game.
    func play() -> Bool {
        return !players.isEmpty // BODY_MARKER
    }
}

enum Mode { case solo, team }
