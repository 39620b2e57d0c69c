1 |a x:1 y:2 3
-1 2.5 tag|b:0.5 z
1 |ns1 f1:1e308 f1:1e308
|n 7
1 |
-1 | x:nan
1 0.1 't|a 4:2 |b:2 c
