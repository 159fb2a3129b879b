"""bench/problems.py — the test functions of bench/problems.lua as Optuna objectives (same formulas)."""
import math


def branin(t):
    x = t.suggest_float("x", -5, 10)
    y = t.suggest_float("y", 0, 15)
    b, c = 5.1 / (4 * math.pi ** 2), 5 / math.pi
    return (y - b * x ** 2 + c * x - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x) + 10


H_ALPHA = [1.0, 1.2, 3.0, 3.2]
H_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
H_P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
       [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]


def hartmann6(t):
    x = [t.suggest_float("x%d" % j, 0, 1) for j in range(1, 7)]
    s = 0.0
    for i in range(4):
        e = sum(H_A[i][j] * (x[j] - H_P[i][j] * 1e-4) ** 2 for j in range(6))
        s -= H_ALPHA[i] * math.exp(-e)
    return s


def rosenbrock4(t):
    x = [t.suggest_float("x%d" % j, -5, 10) for j in range(1, 5)]
    return sum(100 * (x[j + 1] - x[j] ** 2) ** 2 + (1 - x[j]) ** 2 for j in range(3))


def ackley5(t):
    x = [t.suggest_float("x%d" % j, -32.768, 32.768) for j in range(1, 6)]
    n = len(x)
    s1 = sum(v * v for v in x) / n
    s2 = sum(math.cos(2 * math.pi * v) for v in x) / n
    return -20 * math.exp(-0.2 * math.sqrt(s1)) - math.exp(s2) + 20 + math.e


FUNCTIONS = {"branin": branin, "hartmann6": hartmann6, "rosenbrock4": rosenbrock4, "ackley5": ackley5}
