// One colour per driver, stable within a view; distinguishable on white.
export const PALETTE = ['#1565c0', '#d32f2f', '#2e7d32', '#ef6c00', '#6a1b9a', '#00838f', '#ad1457', '#4e342e', '#558b2f', '#283593', '#9e9d24', '#37474f'];
export const color = (i: number) => PALETTE[i % PALETTE.length];
