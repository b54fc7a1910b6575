"""Orbit/walk camera maths for the desktop: a target, a yaw, a pitch and a distance."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Orbit:
    target: np.ndarray = field(default_factory=lambda: np.array([0.0, 0.0, 1.0]))
    yaw_deg: float = 0.0  # 0 = the viewer stands on -Y looking toward +Y
    pitch_deg: float = 0.0  # positive looks down onto the target
    distance: float = 3.0
    MIN_DISTANCE = 0.15
    MAX_DISTANCE = 60.0

    @classmethod
    def looking(cls, eye, target) -> Orbit:
        eye, target = np.asarray(eye, float), np.asarray(target, float)
        d = target - eye
        dist = float(np.linalg.norm(d))
        yaw = math.degrees(math.atan2(-d[0], d[1]))
        pitch = math.degrees(math.asin(-d[2] / dist)) if dist > 0 else 0.0
        return cls(target=target.copy(), yaw_deg=yaw, pitch_deg=pitch, distance=dist)

    def direction(self) -> np.ndarray:
        """Unit vector from the eye toward the target."""
        yaw, pitch = math.radians(self.yaw_deg), math.radians(self.pitch_deg)
        return np.array(
            [-math.sin(yaw) * math.cos(pitch), math.cos(yaw) * math.cos(pitch), -math.sin(pitch)]
        )

    def eye(self) -> np.ndarray:
        return self.target - self.direction() * self.distance

    def rotate(self, dyaw_deg: float, dpitch_deg: float) -> None:
        self.yaw_deg = (self.yaw_deg + dyaw_deg) % 360.0
        self.pitch_deg = float(np.clip(self.pitch_deg + dpitch_deg, -85.0, 85.0))

    def zoom(self, factor: float) -> None:
        self.distance = float(np.clip(self.distance * factor, self.MIN_DISTANCE, self.MAX_DISTANCE))

    def pan(self, dx: float, dy: float) -> None:
        """Slide the target in the view plane; dx, dy in film units (-1..1 across)."""
        forward = self.direction()
        right = np.cross(forward, [0.0, 0.0, 1.0])
        right /= np.linalg.norm(right) or 1.0
        up = np.cross(right, forward)
        self.target = self.target - (right * dx + up * dy) * self.distance * 0.5

    def walk(self, forward_m: float, right_m: float) -> None:
        """Move eye and target together on the floor plane."""
        d = self.direction()
        ahead = np.array([d[0], d[1], 0.0])
        ahead /= np.linalg.norm(ahead) or 1.0
        right = np.array([ahead[1], -ahead[0], 0.0])
        self.target = self.target + ahead * forward_m + right * right_m
